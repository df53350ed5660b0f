"""The API contract, checked by schemathesis against a live server for each role of issue 16.

A manager, a finance user and a vendor user each get a Bearer token; every operation of
/api/schema/ is fuzzed with a few valid and a few invalid examples, over real HTTP (some checks,
`ignored_auth` among them, send probes of their own without the token), and EVERY check
schemathesis 4.32 has runs on each answer: the schema's status codes, content types, bodies and
headers, valid input accepted, invalid input refused, authentication enforced, and the stateful
ones. Failures are collected per check and operation, one example each, and reported together.

(schemathesis' pytest integration does not run on pytest 9 yet, so each operation's strategy is
driven by Hypothesis directly, as in test_fuzz.py.)
"""

from __future__ import annotations

from collections import defaultdict

import schemathesis
from django.conf import settings
from django.test import override_settings
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import FailureGroup

from vendors.services import api_token_create

EXAMPLES_PER_OPERATION = 4  # for each of the valid and the invalid inputs, per role
ROLES = ("manager", "finance", "vendor_a")

# The run checks the answers, not the per-token limiter (test_schema_contract.py covers 429):
# a limit reached half-way would turn every later answer into a 429 and check nothing.
RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] | {"token": "1000000/min"}
UNLIMITED = override_settings(
    REST_FRAMEWORK=settings.REST_FRAMEWORK | {"DEFAULT_THROTTLE_RATES": RATES}
)


def all_checks() -> list:
    load_all_checks()
    return list(CHECKS.get_all())


def fuzz_as(base_url: str, key: str) -> dict[tuple[str, str], str]:
    """Every operation, valid and invalid inputs, every check: {(check, operation): example}."""
    headers = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_url(f"{base_url}/api/schema/", headers=headers)
    checks = all_checks()
    failures: dict[tuple[str, str], str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            fuzz_operation(operation, mode, base_url, headers, checks, failures)
    return failures


# The only exclusions, each justified in the README ("Finance quick start", "The contract
# test"): rules about stored data that no schema can state, and the bulk upsert's per-row
# errors by design. (check's title, operation) -> why.
EXCLUDED = {
    ("Schema-valid request rejected", "POST /api/v1/invoices/"): (
        "a contract has one invoice per reference and month: a repeat is refused by stored data"
    ),
    ("Schema-valid request rejected", "POST /api/v1/disputes/"): (
        "only a target the ticket really breached may be disputed: that is the ticket's data"
    ),
    ("Schema-valid request rejected", "POST /api/v1/action-items/"): (
        "the vendor named must exist, and be one the caller may see: that is stored data"
    ),
    ("Schema-valid request rejected", "POST /api/v1/survey-answers/"): (
        "the ticket is named by id or by source and external_id, and it must exist"
    ),
    ("Schema-violating request accepted", "POST /api/v1/tickets/bulk"): (
        "the bulk upsert keeps a batch's good rows and reports each bad row in its results"
    ),
    # Deliverables: a delivery date may not be later than today, and the contract must be one
    # of the deliverable's vendor's (and the vendor one the caller may see): today and stored
    # data, which no schema can state.
    **{
        ("Schema-valid request rejected", operation): (
            "a delivery may not be in the future, and the contract must be the vendor's"
        )
        for operation in (
            "POST /api/v1/deliverables/",
            "PUT /api/v1/deliverables/{id}/",
            "PATCH /api/v1/deliverables/{id}/",
        )
    },
    ("Schema-valid request rejected", "POST /api/v1/deliverables/{id}/replan/"): (
        "a delivered deliverable is not re-planned, and the new date must differ from the "
        "planned one: that is the deliverable's stored dates"
    ),
}


def fuzz_operation(operation, mode, base_url, headers, checks, failures) -> None:
    """A few examples of one operation in one mode; each check's first failure is kept."""
    label = f"{operation.label} [{mode.value}]"

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are recorded
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case):
        response = case.call(base_url=base_url, headers=headers)
        try:
            case.validate_response(
                response,
                checks=checks,
                headers=headers,
                transport_kwargs={"base_url": base_url, "headers": headers},
            )
        except FailureGroup as group:
            body = response.content[:200].decode("utf-8", "replace")
            answer = f"{response.status_code} {body!r}"
            curl = case.as_curl_command(headers, base_url=base_url)[:400]
            for failure in group.exceptions:
                if (failure.title, operation.label) in EXCLUDED:
                    continue
                message = " ".join(failure.message.split())[:300]
                example = f"{message}\n    -> {answer}\n    {curl}"
                failures.setdefault((failure.title, label), example)

    fuzz()


def report(per_role: dict[str, dict[tuple[str, str], str]]) -> str:
    grouped: dict[str, list[str]] = defaultdict(list)
    for role, failures in per_role.items():
        for (title, operation), example in sorted(failures.items()):
            grouped[title].append(f"  [{role}] {operation}\n    {example}")
    return "\n\n".join(
        f"{title} ({len(lines)}):\n" + "\n".join(lines) for title, lines in sorted(grouped.items())
    )


def test_every_check_passes_for_a_manager_finance_and_a_vendor_user(
    transactional_db, live_server, world
):
    users = {"manager": world.manager, "finance": world.finance, "vendor_a": world.vendor_a}
    keys = {role: api_token_create(user=users[role], name="contract").key for role in ROLES}
    with UNLIMITED:
        per_role = {role: fuzz_as(live_server.url, keys[role]) for role in ROLES}

    total = sum(len(failures) for failures in per_role.values())
    assert total == 0, f"{total} contract failures:\n\n{report(per_role)}"
