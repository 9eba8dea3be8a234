"""`python -m ops <command>`: the deployment guide's runbooks against the live account.

Every command prints its plan and changes nothing unless `--apply` is given, and ends on bad
input, missing stack outputs or missing permissions with one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from botocore.exceptions import BotoCoreError, ClientError

from ops.context import Deps
from ops.errors import EXIT_AWS, OpsError, translate
from ops.outputs import load_outputs


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ops", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="command")

    def outputs_arg(cmd: argparse.ArgumentParser) -> None:
        cmd.add_argument("--outputs", required=True, metavar="FILE|-",
                         help="`pulumi stack output --json` saved to FILE, or - for stdin")

    v = sub.add_parser("verify", help="check encryption, replication, residency, backups and health of the account")
    outputs_arg(v)
    v.add_argument("--url", help="base URL of the API (checks /health, /health/live, /health/ready)")
    v.add_argument("--min-backup-retention-days", type=int, metavar="N",
                   help="required Aurora backup retention (default: database.backup_retention_days from"
                        " --stack-config or ./Pulumi.<environment>.yaml, else 30)")
    v.add_argument("--stack-config", metavar="FILE", help="the stack's Pulumi.<stack>.yaml")
    v.add_argument("--only-problems", action="store_true", help="print only rows that did not pass")

    f = sub.add_parser("failover", help="start the domain's Region switch plan (or, with --manual, switch its"
                                        " writer and traffic step by step) towards another region")
    outputs_arg(f)
    f.add_argument("--domain", required=True, help="data domain name (e.g. global, eu)")
    f.add_argument("--to", required=True, metavar="REGION", help="region that becomes the writer")
    f.add_argument("--unplanned", action="store_true",
                   help="FailoverGlobalCluster for a failed primary (needs --accept-data-loss)")
    f.add_argument("--accept-data-loss", action="store_true",
                   help="acknowledge losing unreplicated writes (unplanned failover, or any Region switch plan run)")
    f.add_argument("--manual", action="store_true",
                   help="run the step-by-step runbook even where the stack has a Region switch plan")
    f.add_argument("--apply", action="store_true", help="execute the plan (default: dry run)")

    r = sub.add_parser("restore-drill", help="restore a snapshot or point in time into a temporary drill-* cluster")
    outputs_arg(r)
    r.add_argument("--domain", required=True, help="data domain whose cluster is restored")
    r.add_argument("--region", help="region of the cluster (default: the domain's primary)")
    r.add_argument("--point-in-time", metavar="ISO", help="restore to this time instead of the latest snapshot")
    r.add_argument("--check-hook", metavar="CMD",
                   help="command run against the restored cluster (env DRILL_ENDPOINT, PGHOST, PGPORT, ...)")
    r.add_argument("--instance-class", help="class of the drill instance (default: the source writer's)")
    r.add_argument("--apply", action="store_true", help="execute the plan (default: dry run)")

    t = sub.add_parser("tenant-migrate", help="copy one tenant's data to another region of its domain")
    outputs_arg(t)
    t.add_argument("--tenant", required=True, help="tenant id")
    t.add_argument("--to", required=True, metavar="REGION", help="target region (inside the tenant's domain)")
    t.add_argument("--target-cluster-identifier", metavar="ID",
                   help="name of the restored cluster (default: the source name with the region swapped)")
    t.add_argument("--apply", action="store_true", help="execute the plan (default: dry run)")

    g = sub.add_parser("tenant-purge", help="erase one tenant's objects in every bucket of its data domain (GDPR)")
    outputs_arg(g)
    g.add_argument("--tenant", required=True, help="tenant id")
    g.add_argument("--apply", action="store_true", help="execute the plan (default: dry run)")

    s = sub.add_parser("smoke", help="post-deploy smoke test of the API (steps in ops/smoke_contract.yaml)")
    s.add_argument("--url", required=True, help="base URL of the API, e.g. https://api.example.com")
    s.add_argument("--api-key-secret", metavar="NAME",
                   help="Secrets Manager name or ARN of the test tenant's API key")
    s.add_argument("--region", default="us-east-1", help="region of that secret (default us-east-1)")
    s.add_argument("--contract", metavar="FILE", help="another contract file (default ops/smoke_contract.yaml)")

    c = sub.add_parser("cost-report", help="one month's cost per tenant, service and region (Cost Explorer)")
    c.add_argument("--month", required=True, metavar="YYYY-MM", help="a finished calendar month")
    c.add_argument("--tag-key", default="tenant", help="cost allocation tag naming the tenant (default tenant)")
    c.add_argument("--shared-namespace", action="append", default=[], metavar="NS",
                   help="namespace whose split cost is shared out by tenant usage (repeatable;"
                        " default platform-core, shared-services)")
    c.add_argument("--json", action="store_true", help="print the report as JSON")

    rb = sub.add_parser("rollback", help="deploy a previous image (tag or digest) through the normal release path")
    outputs_arg(rb)
    rb.add_argument("--to", required=True, metavar="TAG|DIGEST", help="image tag or sha256 digest to go back to")
    rb.add_argument("--stack", help="Pulumi stack (default: the outputs' environment)")
    rb.add_argument("--repository", default="agentic-platform", help="ECR repository of the app image")
    rb.add_argument("--apply", action="store_true", help="execute the plan (default: dry run)")

    w = sub.add_parser("watch", help="fail if any alarm of the stack fires within the post-deploy window")
    outputs_arg(w)
    w.add_argument("--minutes", type=float, default=30.0, help="length of the watch (default 30)")
    return p


def _run_without_outputs(args: argparse.Namespace, deps: Deps) -> int:
    """Commands that take their inputs from flags, not from stack outputs."""
    if args.command == "smoke":
        from pathlib import Path

        from ops import smoke

        return smoke.run(deps, url=args.url, api_key_secret=args.api_key_secret, region=args.region,
                         contract_path=Path(args.contract) if args.contract else None)
    from ops import cost_report

    return cost_report.run(deps, month=args.month, tag_key=args.tag_key,
                           shared_namespaces=tuple(args.shared_namespace) or cost_report.SHARED_NAMESPACES,
                           as_json=args.json)


def main(argv: Sequence[str] | None = None, deps: Deps | None = None) -> int:
    args = parser().parse_args(argv)
    deps = deps or Deps()
    try:
        if args.command in ("smoke", "cost-report"):
            return _run_without_outputs(args, deps)
        outputs = load_outputs(args.outputs, deps.stdin)
        if args.command == "verify":
            from ops import verify

            return verify.run(outputs, deps, url=args.url, min_backup_retention_days=args.min_backup_retention_days,
                              stack_config=args.stack_config, only_problems=args.only_problems)
        if args.command == "failover":
            from ops import failover

            return failover.run(outputs, deps, domain_name=args.domain, to=args.to, unplanned=args.unplanned,
                                accept_data_loss=args.accept_data_loss, apply=args.apply, manual=args.manual)
        if args.command == "restore-drill":
            from ops import restore_drill

            return restore_drill.run(outputs, deps, domain_name=args.domain, region=args.region,
                                     point_in_time=args.point_in_time, check_hook=args.check_hook,
                                     instance_class=args.instance_class, apply=args.apply)
        if args.command == "tenant-purge":
            from ops import tenant_purge

            return tenant_purge.run(outputs, deps, tenant_id=args.tenant, apply=args.apply)
        if args.command in ("rollback", "watch"):
            from ops import rollback

            if args.command == "watch":
                return rollback.watch(outputs, deps, minutes=args.minutes)
            return rollback.run(outputs, deps, to=args.to, stack=args.stack, repository=args.repository,
                                apply=args.apply)
        from ops import tenant_migrate

        return tenant_migrate.run(outputs, deps, tenant_id=args.tenant, to=args.to,
                                  target_cluster=args.target_cluster_identifier, apply=args.apply)
    except OpsError as exc:
        print(f"ops {args.command}: {' '.join(exc.message.split())}", file=sys.stderr)
        return exc.exit_code
    except ClientError as exc:  # a call outside the guarded clients (e.g. inside a managed transfer)
        err = translate(exc, "aws", {}, None)
        print(f"ops {args.command}: {err.message}", file=sys.stderr)
        return err.exit_code
    except BotoCoreError as exc:
        print(f"ops {args.command}: AWS call failed: {exc}", file=sys.stderr)
        return EXIT_AWS
    except KeyboardInterrupt:
        print(f"ops {args.command}: interrupted; re-run the command to see what is left to do", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
