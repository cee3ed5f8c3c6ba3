"""Who may run what (the policy file and its decisions), the guardrails on actions, and the audit log."""
