"""Questions plainly outside the knowledge base, declined before any search.

The search's confidence is learnt from examples, and a near miss that shares words with an entry
("rotate my IAM access keys", "an image of a GCE disk") can still score like a real question. A few
topics are recognisable by name alone: another cloud or a desktop VM, AWS or Kubernetes matters that
are not about images, desktop tools for local development, office IT. A question naming one of them,
and none of the words that would make it ours, is declined with a reply that says what the bot covers.

Every entry's title and phrasings are checked against these signs (tests/knowledge/test_lint.py):
a sign that would decline one of them is too broad. Add a name here when a question on a topic
the bot does not cover gets a confident answer; add near misses to knowledge/out_of_scope.yml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Sign:
    topic: str  # what the reply calls it: "another cloud"
    names: re.Pattern[str]  # any of these in a question marks the topic...
    unless: re.Pattern[str]  # ...unless one of these is there too: then the search decides


@dataclass(frozen=True)
class Outside:
    topic: str
    named: str  # the words of the question that named it, as typed


def _words(*words: str) -> re.Pattern[str]:
    """Whole words or phrases, any case; a space matches a space or a hyphen; `ami-0abc` holds `ami`."""
    alternatives = "|".join(re.escape(w).replace(r"\ ", r"[\s-]") for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


# AWS's image services and their tools: naming one keeps a question in.
SERVICES = ("ami", "amis", "ec2", "ecr", "ecs", "eks", "fargate", "ebs", "bottlerocket", "packer", "karpenter")
# Images and containers keep a question in: "the IAM policy to push to ECR", "an AMI's billing".
ABOUT_IMAGES = (
    *SERVICES,
    *("image", "images", "img", "imgs", "docker", "dockerfile", "dockerfiles", "container", "containers"),
    *("snapshot", "snapshots", "registry", "registries", "launch template", "launch templates", "marketplace"),
    *("golden", "bake", "baked", "baking", "layer", "layers", "pull", "pulls", "pulling", "push", "pushing"),
    *("instance", "instances", "deregister", "deregistered", "deregistering", "deprecate", "deprecated"),
    *("deprecation", "describe-images", "create-image", "copy-image"),
)

SIGNS: tuple[Sign, ...] = (
    Sign(
        "another cloud or a virtualisation platform",
        _words(
            *("azure", "azurecr", "az vm", "az acr", "az sig", "az image", "gcp", "gcloud", "google cloud"),
            *("compute engine", "gce", "gke", "aks", "artifact registry", "oracle cloud", "ocir", "alibaba"),
            *("aliyun", "digitalocean", "droplet", "droplets", "hetzner", "linode", "vultr", "openstack"),
            *("glance", "vsphere", "vcenter", "hyper-v", "hyperv", "proxmox", "vagrant", "ibm cloud", "heroku"),
            *("virtualbox", "vmware fusion", "vmware workstation", "parallels desktop", "oci custom image"),
            *("oci custom images", "tenancy", "tenancies"),
        ),
        _words("aws", "amazon", "docker", *SERVICES),  # "will my docker image run on gcp too?" is ours
    ),
    Sign(
        "an AWS, database or Kubernetes topic other than images",
        _words(
            *("iam", "access key", "access keys", "secret key", "secret keys", "mfa", "sso", "billing", "bill"),
            *("invoice", "invoices", "budget", "budgets", "cost explorer", "savings plan", "savings plans"),
            *("vpc", "vpcs", "peering", "transit gateway", "route53", "route 53", "route table", "cloudfront"),
            *("lambda", "dynamodb", "rds", "aurora", "s3 bucket", "s3 buckets", "cloudtrail", "guardduty"),
            *("secrets manager", "crashloopbackoff", "helm chart", "helm charts", "ingress", "configmap"),
            *("postgres", "postgresql", "mysql", "mariadb", "mongodb", "read replica", "read replicas"),
            *("cloudwatch", "composite alarm", "composite alarms"),
        ),
        _words(*ABOUT_IMAGES),
    ),
    Sign(
        "a desktop tool for local development",
        _words("podman desktop", "rancher desktop", "colima", "orbstack", "minikube"),
        # not "docker" or "container": each of these runs containers; an image or AWS makes it ours. (Not
        # "docker desktop": why it runs a Linux VM is a question the portability entry answers)
        _words("aws", "amazon", *SERVICES, "image", "images", "dockerfile", "registry", "layer", "layers"),
    ),
    Sign(
        "an office IT question",
        _words(
            *("laptop", "laptops", "keyboard", "monitor setup", "wifi", "wi-fi", "vpn", "printer", "payroll"),
            *("vacation", "expense report", "password reset", "reset my password"),
        ),
        _words(*ABOUT_IMAGES),
    ),
)


def outside(question: str) -> Outside | None:
    """The topic a question plainly belongs to when the knowledge base does not cover it, else None."""
    for sign in SIGNS:
        named = sign.names.search(question)
        if named and not sign.unless.search(question):
            return Outside(sign.topic, named.group(0))
    return None
