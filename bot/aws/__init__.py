"""AMI operations over boto3: clients, regions, images, copies, instances and plain-language errors."""
