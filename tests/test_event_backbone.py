"""The opt-in event backbone: off by default; on, one bus per data domain and region, forwarding
only inside the domain, encrypted, priced, and a residency policy that catches a stray target.
The application's side: each cell's api/worker roles publish only to their own domain's bus in
their own region, only the worker consumes (its own queue), the app is told the same bus and
queue, and `path-residency` catches a grant or setting that reaches another domain's."""

from __future__ import annotations

import copy
import json
import re
from fnmatch import fnmatchcase
from typing import Any

import pytest

from components.event_backbone import (
    BackboneRegion,
    consume_statements,
    forward_pattern,
    invalidation_pattern,
    publish_statement,
    replication_pairs,
)
from policy.agentic_policies.paths import Res, cell_paths, path_violations
from stacks.compose.workload import event_settings, event_statements
from stacks.harness import Plan, PlannedResource, run_stack
from stacks.reports import cost
from stacks.reports.policy import run_plan
from tests.variants import prod_opt_ins

BUS = "aws:cloudwatch/eventBus:EventBus"
QUEUE = "aws:sqs/queue:Queue"
EU = {"eu-west-1", "eu-central-1"}
PREFIX = "agentic-platform-prod"
EVENT_KEYS = ("EVENT_BUS_NAME", "CACHE_INVALIDATION_QUEUE_URL", "EVENT_SOURCE_PREFIX")


@pytest.fixture(scope="module")
def prod() -> Plan:
    return run_stack("prod", overrides=prod_opt_ins())  # the backbone among every opt-in (tests/variants.py)


def test_off_by_default_nothing_created() -> None:
    plan = run_stack("prod")
    assert not plan.of_type(BUS) and "events" not in plan.outputs
    # ... and the app is neither told nor granted anything of a backbone.
    assert not [k for cm in _cells(plan) for k in EVENT_KEYS if k in cm.inputs["data"]]
    assert not [st for cell in _cells(plan) for docs in _cell_roles(plan, cell).values() for st in docs
                if _services(st) & {"events", "sqs"}]


def test_one_encrypted_bus_per_domain_and_region(prod: Plan) -> None:
    buses = {(r.get("name"), r.region) for r in prod.of_type(BUS)}
    assert buses == {
        ("agentic-platform-prod-global-events", "us-east-1"), ("agentic-platform-prod-global-events", "eu-west-1"),
        ("agentic-platform-prod-global-events", "ap-southeast-1"),
        ("agentic-platform-prod-eu-events", "eu-west-1"), ("agentic-platform-prod-eu-events", "eu-central-1")}
    keys = {r.urn: r for r in prod.of_type("aws:kms/key:Key") if "-events-" in r.name}
    for bus in prod.of_type(BUS):
        assert f":kms:{bus.region}:" in bus.get("kmsKeyIdentifier")  # a key of the bus's own region
    assert all(k.get("enableKeyRotation") is True and k.options.get("protect") for k in keys.values())
    eu = [b for b in prod.of_type(BUS) if b.get("name") == "agentic-platform-prod-eu-events"]
    assert all(b.get("tags")["data-residency"] == "eu" for b in eu)


def _forwarding(plan: Plan) -> list[PlannedResource]:
    targets = plan.of_type("aws:cloudwatch/eventTarget:EventTarget")
    return [t for t in targets if str(t.get("targetId")).startswith("bus-")]


def test_forwarding_stays_inside_each_domain(prod: Plan) -> None:
    targets = _forwarding(prod)
    assert len(targets) == 6 + 2  # global: 3 regions -> 6 ordered pairs; eu: 2
    for t in targets:
        src, dst = t.region, t.get("targetId").removeprefix("bus-")
        if "-events-eu-" in t.name:
            assert {src, dst} <= EU
        assert t.get("roleArn")


def test_patterns_forward_only_local_events_and_route_invalidations() -> None:
    assert json.loads(forward_pattern("eu-west-1"))["detail"] == {"origin_region": ["eu-west-1"]}
    assert json.loads(invalidation_pattern())["detail-type"] == ["cache.invalidate"]
    assert replication_pairs(["a", "b", "c"]) == [("a", "b"), ("a", "c"), ("b", "a"), ("b", "c"), ("c", "a"),
                                                  ("c", "b")]
    assert replication_pairs(["a"]) == []


def test_every_region_has_a_cache_invalidation_queue(prod: Plan) -> None:
    queues = [q for q in prod.of_type("aws:sqs/queue:Queue") if str(q.get("name")).endswith("-cache-invalidation")]
    assert sorted(str(q.region) for q in queues) == sorted(["us-east-1", "eu-west-1", "ap-southeast-1", "eu-west-1",
                                                       "eu-central-1"])
    assert all(":kms:" in q.get("kmsMasterKeyId") for q in queues)
    exported = prod.outputs["events"]
    assert set(exported) == {"global", "eu"} and set(exported["eu"]["regions"]) == EU
    assert exported["eu"]["bus_name"] == "agentic-platform-prod-eu-events"
    assert exported["eu"]["cache_invalidation_queue"] == "agentic-platform-prod-eu-events-cache-invalidation"


# --- what the application may do on the backbone, and with which identity -----------------------

def _cells(plan: Plan) -> list[PlannedResource]:
    """Each domain cell's `app-settings` ConfigMap (it declares domain, residency, namespace)."""
    return [cm for cm in plan.of_type("kubernetes:core/v1:ConfigMap")
            if cm.inputs["metadata"]["name"] == "app-settings" and "DATA_DOMAIN" in cm.inputs["data"]]


def _cell_roles(plan: Plan, cm: PlannedResource) -> dict[str, list[dict[str, Any]]]:
    """Service account -> Allow statements of the role Pod Identity binds to it in the cell's
    namespace and region (inline RolePolicy documents)."""
    roles = {r.outputs["arn"]: r.inputs["name"] for r in plan.of_type("aws:iam/role:Role")}
    docs: dict[str, list[dict[str, Any]]] = {}
    for p in plan.of_type("aws:iam/rolePolicy:RolePolicy"):
        docs.setdefault(p.inputs["role"], []).extend(json.loads(p.inputs["policy"])["Statement"])
    out: dict[str, list[dict[str, Any]]] = {}
    for a in plan.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation"):
        if a.region == cm.region and a.inputs["namespace"] == cm.inputs["metadata"]["namespace"]:
            out[a.inputs["serviceAccount"]] = docs.get(roles[a.inputs["roleArn"]], [])
    return out


def _list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _services(st: dict[str, Any]) -> set[str]:
    return {a.split(":")[0] for a in _list(st["Action"])}


def _reached(statements: list[dict[str, Any]], service: str, arns: list[str]) -> set[str]:
    """The ARNs among `arns` that an Allow statement of `service` (or `*`) matches, wildcards too."""
    return {arn for st in statements if st["Effect"] == "Allow" and _services(st) & {service, "*"}
            for arn in arns for pattern in _list(st["Resource"]) if fnmatchcase(arn, pattern)}


def _own(plan: Plan, cm: PlannedResource, typ: str) -> PlannedResource:
    """The cell's own domain's bus or queue in the cell's region."""
    name = f"{PREFIX}-{cm.inputs['data']['DATA_DOMAIN']}-events"
    name = name if typ == BUS else f"{name}-cache-invalidation"
    return next(r for r in plan.of_type(typ) if r.inputs["name"] == name and r.region == cm.region)


def test_every_cell_publishes_only_to_its_own_domain_and_region_bus(prod: Plan) -> None:
    cells = _cells(prod)
    assert {(c.region, c.inputs["data"]["DATA_DOMAIN"]) for c in cells} == {
        ("us-east-1", "global"), ("eu-west-1", "global"), ("ap-southeast-1", "global"),
        ("eu-west-1", "eu"), ("eu-central-1", "eu")}
    buses = [b.outputs["arn"] for b in prod.of_type(BUS)]
    for cm in cells:
        roles = _cell_roles(prod, cm)
        own = _own(prod, cm, BUS).outputs["arn"]
        for sa in ("api", "worker"):
            assert _reached(roles[sa], "events", buses) == {own}, (cm.region, cm.inputs["data"]["DATA_DOMAIN"], sa)
            publish = [st for st in roles[sa] if "events" in _services(st)]
            assert [_list(st["Action"]) for st in publish] == [["events:PutEvents"]]
            assert publish[0]["Condition"] == {"ForAllValues:StringLike": {"events:source": "agentic.*"},
                                               "Null": {"events:source": "false"}}
        # The migration Jobs' identity stays database-only.
        assert not [st for st in roles.get("platform-jobs", []) if _services(st) & {"events", "sqs", "kms"}]


def test_only_the_worker_consumes_and_only_its_own_queue(prod: Plan) -> None:
    queues = [q.outputs["arn"] for q in prod.of_type(QUEUE)]
    for cm in _cells(prod):
        roles = _cell_roles(prod, cm)
        queue = _own(prod, cm, QUEUE)
        assert _reached(roles["api"], "sqs", queues) == set()
        assert _reached(roles["worker"], "sqs", queues) == {queue.outputs["arn"]}
        consume = next(st for st in roles["worker"] if "sqs" in _services(st))
        assert sorted(_list(consume["Action"])) == ["sqs:DeleteMessage", "sqs:GetQueueAttributes",
                                                     "sqs:ReceiveMessage"]
        # The queue's key, decrypted only through SQS in this region; the api needs no backbone key.
        decrypt = [st for st in roles["worker"] if st.get("Sid") == "DecryptOwnInvalidationsThroughSqs"]
        assert [(st["Action"], st["Resource"]) for st in decrypt] == [("kms:Decrypt", queue.inputs["kmsMasterKeyId"])]
        assert decrypt[0]["Condition"] == {"StringEquals": {"kms:ViaService": f"sqs.{cm.region}.amazonaws.com"}}
        keys = {k.outputs["arn"] for k in prod.of_type("aws:kms/key:Key") if "-events-" in k.name}
        assert not [st for st in roles["api"] if set(_list(st["Resource"])) & keys]


def test_an_eu_cell_has_no_statement_reaching_a_us_or_global_bus_or_queue(prod: Plan) -> None:
    foreign = [r.outputs["arn"] for r in [*prod.of_type(BUS), *prod.of_type(QUEUE)]
               if r.region not in EU or "-global-" in r.inputs["name"]]
    foreign += [k.outputs["arn"] for k in prod.of_type("aws:kms/key:Key")
                if "-events-" in k.name and (k.region not in EU or "-events-global-" in k.name)]
    eu_cells = [cm for cm in _cells(prod) if cm.inputs["data"]["DATA_RESIDENCY"] == "eu"]
    assert {cm.region for cm in eu_cells} == EU
    for cm in eu_cells:
        for sa, statements in _cell_roles(prod, cm).items():
            assert _reached(statements, "*", foreign) == set(), (cm.region, sa)
            assert not [st for st in statements if "us-east-1" in json.dumps(st["Resource"])], (cm.region, sa)


def test_the_app_is_told_its_own_regions_bus_and_queue(prod: Plan) -> None:
    for cm in _cells(prod):
        data = cm.inputs["data"]
        bus, queue = _own(prod, cm, BUS), _own(prod, cm, QUEUE)
        assert data["EVENT_BUS_NAME"] == bus.inputs["name"] == f"{PREFIX}-{data['DATA_DOMAIN']}-events"
        assert data["CACHE_INVALIDATION_QUEUE_URL"] == queue.outputs["url"]
        assert data["CACHE_INVALIDATION_QUEUE_URL"].startswith(f"https://sqs.{cm.region}.amazonaws.com/")
        assert data["AWS_REGION"] == bus.region == queue.region == cm.region
        assert data["EVENT_SOURCE_PREFIX"] == "agentic."
        if data["DATA_RESIDENCY"] == "eu":
            assert bus.inputs["tags"]["data-residency"] == queue.inputs["tags"]["data-residency"] == "eu"


def test_grants_and_settings_are_the_backbone_helpers() -> None:
    # Plain strings stand in for the Outputs (no Pulumi program runs here).
    fields: dict[str, Any] = {"region": "eu-west-1", "bus_name": "b", "bus_arn": "arn:bus",
                              "queue_url": "https://q", "queue_arn": "arn:q", "key_arn": "arn:k"}
    bb = BackboneRegion(**fields)
    assert [st["Sid"] for st in event_statements("api", bb)] == ["PublishOwnDomainEvents"]
    assert [st["Sid"] for st in event_statements("worker", bb)] == [
        "PublishOwnDomainEvents", "ConsumeOwnCacheInvalidations", "DecryptOwnInvalidationsThroughSqs"]
    assert event_statements("jobs", bb) == [] and event_statements("worker", None) == []
    assert event_settings(None) == {} and set(event_settings(bb)) == set(EVENT_KEYS)
    assert publish_statement("arn:bus")["Resource"] == "arn:bus"
    assert consume_statements("eu-west-1", "arn:q", "arn:k")[1]["Condition"] == {
        "StringEquals": {"kms:ViaService": "sqs.eu-west-1.amazonaws.com"}}


def _wildcard_paths(statement: dict[str, Any]) -> list[str]:
    """path-residency messages for an EU cell whose worker role holds `statement`, beside an EU
    and a global bus in its region (records as the policy sees them)."""
    eu_bus, glob_bus = (f"arn:aws:events:eu-west-1:1:event-bus/p-{d}-events" for d in ("eu", "global"))
    role_arn = "arn:aws:iam::1:role/euw1-workload-worker"
    res = [
        Res("cm", "kubernetes:core/v1:ConfigMap", {"metadata": {"name": "app-settings", "namespace": "platform-core"},
            "data": {"DATA_DOMAIN": "eu", "DATA_RESIDENCY": "eu"}}, "eu-west-1", "eu"),
        Res("a", "aws:eks/podIdentityAssociation:PodIdentityAssociation",
            {"namespace": "platform-core", "serviceAccount": "worker", "roleArn": role_arn}, "eu-west-1", None),
        Res("r", "aws:iam/role:Role", {"name": "euw1-workload-worker", "arn": role_arn}, None, None),
        Res("p", "aws:iam/rolePolicy:RolePolicy", {"role": "euw1-workload-worker", "policy": json.dumps(
            {"Version": "2012-10-17", "Statement": [statement]})}, None, None),
        Res("b1", BUS, {"name": "p-eu-events", "arn": eu_bus}, "eu-west-1", "eu"),
        Res("b2", BUS, {"name": "p-global-events", "arn": glob_bus}, "eu-west-1", None),
    ]
    (path,) = cell_paths(res)
    return list(path_violations(path, {"eu": ["eu-west-1", "eu-central-1"]}, {}))


@pytest.mark.parametrize(("statement", "caught"), [
    ({"Effect": "Allow", "Action": "events:PutEvents", "Resource": "arn:aws:events:eu-west-1:1:event-bus/p-eu-events"},
     False),
    ({"Effect": "Allow", "Action": "events:PutEvents", "Resource": "arn:aws:events:*:*:event-bus/*"}, True),
    ({"Effect": "Allow", "Action": "*", "Resource": "*"}, True),
    ({"Effect": "Allow", "Action": "events:PutEvents", "NotResource": "arn:aws:events:eu-west-1:1:event-bus/p-eu-*"},
     True),
    ({"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}, True),
    ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}, False),
    ({"Effect": "Deny", "Action": "events:*", "Resource": "*"}, False),
])
def test_path_residency_reads_wildcards_and_not_elements(statement: dict[str, Any], caught: bool) -> None:
    found = _wildcard_paths(statement)
    assert bool(found) is caught, found
    if caught:
        assert found == ["cell eu (eu) in eu-west-1/platform-core reaches event bus via worker role "
                         "arn:aws:events:eu-west-1:1:event-bus/p-global-events of residency none"]


def _mutable(plan: Plan) -> Plan:
    """A copy of `plan` whose resources can be changed (props copied by `_set`)."""
    return Plan(stack=plan.stack, project=plan.project, config=dict(plan.config),
                resources=[copy.copy(r) for r in plan.resources], outputs=plan.outputs,
                secret_outputs=plan.secret_outputs)


def _set(r: PlannedResource, path: str, value: Any) -> None:
    r.inputs, r.outputs = copy.deepcopy(r.inputs), copy.deepcopy(r.outputs)
    for tree in (r.inputs, r.outputs):
        cur = tree
        *head, last = path.split(".")
        for part in head:
            cur = cur[part]
        cur[last] = value


def _role_policy(plan: Plan, region: str, namespace: str, sa: str) -> PlannedResource:
    assoc = next(a for a in plan.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                 if a.region == region and a.inputs["namespace"] == namespace and a.inputs["serviceAccount"] == sa)
    role = next(r for r in plan.of_type("aws:iam/role:Role") if r.outputs["arn"] == assoc.inputs["roleArn"])
    return next(p for p in plan.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == role.inputs["name"])


def test_path_residency_catches_a_cross_domain_grant_or_setting(prod: Plan) -> None:
    """Three mutations of the real plan, each on another cell: the EU worker in eu-west-1 granted
    PutEvents on the global bus next to it, the EU worker in eu-central-1 granted the US queue,
    and the global cell in eu-west-1 told to publish to the EU bus. `path-residency` names each."""
    plan = _mutable(prod)
    by_key = {(c.region, c.inputs["data"]["DATA_DOMAIN"]): c for c in _cells(plan)}
    glob_bus = next(b for b in plan.of_type(BUS) if b.region == "eu-west-1" and "-global-" in b.inputs["name"])
    us_queue = next(q for q in plan.of_type(QUEUE) if q.region == "us-east-1" and "-events-" in q.inputs["name"])

    def swap(region: str, old: str, new: str) -> None:
        p = _role_policy(plan, region, "platform-core", "worker")
        _set(p, "policy", p.inputs["policy"].replace(old, new))

    swap("eu-west-1", _own(plan, by_key[("eu-west-1", "eu")], BUS).outputs["arn"], glob_bus.outputs["arn"])
    swap("eu-central-1", _own(plan, by_key[("eu-central-1", "eu")], QUEUE).outputs["arn"], us_queue.outputs["arn"])
    glob_euw1 = by_key[("eu-west-1", "global")]
    _set(glob_euw1, "data.EVENT_BUS_NAME", f"{PREFIX}-eu-events")

    found = {(v.urn, v.message) for v in run_plan(plan, memo={}, only=["path-residency"]).of("path-residency")}
    euw1, euc1 = by_key[("eu-west-1", "eu")].urn, by_key[("eu-central-1", "eu")].urn
    assert (euw1, f"cell eu (eu) in eu-west-1/platform-core reaches event bus via worker role "
                  f"{glob_bus.outputs['arn']} of residency none") in found
    assert (euc1, f"cell eu (eu) in eu-central-1/platform-core reaches queue via worker role "
                  f"{us_queue.outputs['arn']} of residency none") in found
    assert (euc1, f"cell eu (eu) in eu-central-1/platform-core reaches queue via worker role "
                  f"{us_queue.outputs['arn']} in us-east-1, outside its residency") in found
    assert (glob_euw1.urn, f"cell global (none) in eu-west-1/platform-global reaches event bus {PREFIX}-eu-events "
                           "of residency eu") in found
    assert {u for u, _ in found} == {euw1, euc1, glob_euw1.urn}, "no other cell is named"


def test_no_bus_or_queue_policy_admits_another_account(prod: Plan) -> None:
    """Private: the buses carry no resource policy (only this account's IAM principals may call
    them), each queue admits only EventBridge, for its own region's invalidation rule, and the keys
    and the forwarding role trust only this account and EventBridge acting for it."""
    assert not prod.of_type("aws:cloudwatch/eventBusPolicy:EventBusPolicy")
    rules = {r.outputs["arn"]: r for r in prod.of_type("aws:cloudwatch/eventRule:EventRule")
             if str(r.get("name")).endswith("-cache-invalidate")}
    queues = {q.outputs["arn"]: q for q in prod.of_type(QUEUE) if str(q.get("name")).endswith("-cache-invalidation")}
    policies = [p for p in prod.of_type("aws:sqs/queuePolicy:QueuePolicy") if p.region and "-events-" in p.name]
    assert len(policies) == len(queues) == len(rules) == 5
    for p in policies:
        (st,) = json.loads(p.get("policy"))["Statement"]
        assert (st["Effect"], st["Principal"], st["Action"]) == ("Allow", {"Service": "events.amazonaws.com"},
                                                                 "sqs:SendMessage")
        queue, rule = queues[st["Resource"]], rules[st["Condition"]["ArnEquals"]["aws:SourceArn"]]
        assert queue.region == rule.region == p.region
    keys = [k for k in prod.of_type("aws:kms/key:Key") if "-events-" in k.name]
    roles = [r for r in prod.of_type("aws:iam/role:Role") if re.fullmatch(r"prod-events-\w+-forward-role", r.name)]
    assert len(keys) == 5 and len(roles) == 2  # a key per bus; a forwarding role per domain
    account = {json.loads(k.get("policy"))["Statement"][0]["Principal"]["AWS"] for k in keys}
    assert len(account) == 1 and re.fullmatch(r"arn:aws:iam::\d{12}:root", account.pop())  # one account: its own
    for doc in [json.loads(k.get("policy")) for k in keys] + [json.loads(r.get("assumeRolePolicy")) for r in roles]:
        for st in doc["Statement"]:
            principal = st["Principal"]
            if "AWS" in principal:
                assert principal["AWS"].endswith(":root")
            else:
                assert principal == {"Service": "events.amazonaws.com"}
                assert set(st["Condition"]["StringEquals"]) == {"aws:SourceAccount"}


def test_the_backbone_is_priced(prod: Plan) -> None:
    rep = cost.report(prod)
    assert not any("no pricing rule" in line for line in rep.lines), rep.lines[:5]
    assert "eventbridge.custom_events" in json.dumps(rep.data)


def _fresh() -> Plan:
    """A copy of the opt-in plan this test may change (the module's `prod` stays as built)."""
    return run_stack("prod", overrides=prod_opt_ins())


def test_policies_pass_and_catch_a_bus_outside_the_domain(prod: Plan) -> None:
    assert not [v for v in run_plan(prod, memo={}).mandatory], "the backbone passes the pack"
    plan = _fresh()
    target = next(t for t in _forwarding(plan) if "-events-eu-" in t.name)
    us_bus = next(b for b in plan.of_type(BUS) if b.region == "us-east-1")
    target.inputs = {**target.inputs, "arn": us_bus.outputs["arn"]}
    target.outputs = {**target.outputs, "arn": us_bus.outputs["arn"]}
    forwarding = "residency-event-forwarding"
    messages = {v.message for v in run_plan(plan, memo={}, only=[forwarding]).of(forwarding) if v.urn == target.urn}
    assert messages == {  # both promises broken: the EU domain's events reach the global domain, in the US
        f"event target {target.name} forwards events of data domain eu to bus {us_bus.name} of data domain global",
        f"event target {target.name} forwards ['eu']-resident events to bus {us_bus.name} in us-east-1; "
        "allowed ['eu-central-1', 'eu-west-1']"}


def test_a_bus_of_another_stack_or_account_fails_closed() -> None:
    plan = _fresh()
    target = next(t for t in _forwarding(plan) if "-events-eu-" in t.name)
    foreign = "arn:aws:events:eu-west-1:999999999999:event-bus/someone-elses-bus"
    target.inputs = {**target.inputs, "arn": foreign}
    target.outputs = {**target.outputs, "arn": foreign}
    target.options = {**target.options, "propertyDependencies": {}}
    forwarding = "residency-event-forwarding"
    assert [(v.urn, v.message) for v in run_plan(plan, memo={}, only=[forwarding]).of(forwarding)] == [
        (target.urn, f"event target {target.name} forwards to event bus {foreign}, which is not a bus of this stack, "
                     "so its data domain and residency cannot be proven (fail closed)")]


def test_forwarding_across_domains_fails_even_where_no_residency_is_crossed() -> None:
    """A `global` bus forwarding to the EU domain's bus in eu-west-1 crosses no residency (global
    data may sit in the EU) but mixes two domains' events: refused, as is a bus without its domain."""
    prod = _fresh()
    forwarding = "residency-event-forwarding"
    glob = next(t for t in _forwarding(prod) if "-events-global-" in t.name and t.region == "us-east-1"
                and t.get("targetId") == "bus-eu-west-1")
    eu_bus = next(b for b in prod.of_type(BUS) if b.region == "eu-west-1" and "-eu-events" in str(b.get("name")))
    assert eu_bus.get("tags")["data-domain"] == "eu"
    glob.inputs = {**glob.inputs, "arn": eu_bus.outputs["arn"]}
    glob.outputs = {**glob.outputs, "arn": eu_bus.outputs["arn"]}
    untagged = next(b for b in prod.of_type(BUS) if b.region == "eu-central-1")
    untagged.inputs = {**untagged.inputs, "tags": {k: v for k, v in untagged.get("tags").items() if k != "data-domain"}}
    untagged.outputs = {**untagged.outputs, "tags": untagged.inputs["tags"], "tagsAll": untagged.inputs["tags"]}
    found = {(v.urn, v.message) for v in run_plan(prod, memo={}, only=[forwarding]).of(forwarding)}
    assert (glob.urn, f"event target {glob.name} forwards events of data domain global to bus {eu_bus.name} of "
                      "data domain eu") in found
    into, out_of = (next(t for t in _forwarding(prod) if "-events-eu-" in t.name and t.region == region)
                    for region in ("eu-west-1", "eu-central-1"))  # the untagged bus's two forwarding rules
    for t in (into, out_of):
        assert (t.urn, f"event target {t.name}: bus {untagged.name} has no data-domain tag, so forwarding inside "
                       "one data domain cannot be proven (fail closed)") in found
    assert {u for u, _ in found} == {glob.urn, into.urn, out_of.urn}, "no other target is named"
