"""What runs on each workload cluster: namespaces, api + worker, config, secrets, ingress,
autoscaling, network policies. Written with pulumi-kubernetes typed resources; nothing here
knows about stacks or config models (callers hand over typed Args)."""
