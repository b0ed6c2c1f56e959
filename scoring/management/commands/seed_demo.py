"""``manage.py seed_demo``: deterministic demo customers and the demo staff accounts.

Existing data is kept:

- ``--if-empty``: when any customer exists, add none (``make run`` uses this, so running
  it twice keeps the data); the staff accounts are still ensured and printed.
- otherwise, when customers of this seed already exist, stop with a message: the same
  seed would generate the same external ids. Another ``--seed`` adds a disjoint population.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from accounts.demo import ensure_demo_staff
from accounts.models import User
from portal.permissions import SystemActor
from scoring.assessments.batch import assessments_score_scheduled
from scoring.demo.generation import external_id_prefix
from scoring.demo.reference import DEFAULT_CUSTOMERS, DEFAULT_SEED
from scoring.demo.seeding import demo_customers_exist, demo_seed
from scoring.models import Customer, ReasonCode
from scoring.selectors import credit_lines_shown_but_unusable

OFFICER_USERNAMES = ("officer", "officer2", "supervisor")


def _positive(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Load deterministic demo customers, credit lines and blocks, and the demo staff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers",
            type=_positive,
            default=DEFAULT_CUSTOMERS,
            help=f"How many customers (default {DEFAULT_CUSTOMERS}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed; the same seed gives the same data (default {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Add customers only when there are none; keep existing data otherwise.",
        )
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="Rows per INSERT (default 2000)."
        )
        parser.add_argument(
            "--with-assessments",
            action="store_true",
            help="Also score every new customer once on the champion (a scheduled run), so "
            "explanations are there to read.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        customers: int = options["customers"]
        seed: int = options["seed"]
        password = settings.PORTAL_DEMO_PASSWORD
        staff = ensure_demo_staff(password=password)

        if options["if_empty"] and Customer.objects.exists():
            self.stdout.write("Customers already exist; keeping them (--if-empty).")
        elif existing := demo_customers_exist(seed=seed):
            raise CommandError(
                f"{existing} demo customers of seed {seed} already exist. Run with --if-empty "
                "to keep them, or choose another --seed to add a different population."
            )
        elif customers:
            self._seed(
                customers=customers,
                seed=seed,
                batch_size=options["batch_size"],
                verbose=options["verbosity"] >= 2,
            )
            if options["with_assessments"]:
                self._assess(seed=seed)

        self._print_staff(staff, password)

    def _seed(self, *, customers: int, seed: int, batch_size: int, verbose: bool) -> None:
        officers = list(User.objects.filter(username__in=OFFICER_USERNAMES).order_by("username"))
        started = time.monotonic()

        def progress(done: int) -> None:
            if verbose:
                self.stdout.write(f"  {done} / {customers} customers")

        result = demo_seed(
            actor=SystemActor("seed_demo"),
            customers=customers,
            seed=seed,
            officers=officers,
            batch_size=batch_size,
            progress=progress,
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE scoring_customer, scoring_creditline, scoring_block, "
                    "scoring_historicalcustomer, scoring_historicalcreditline, "
                    "scoring_historicalblock, scoring_customerfeatures, "
                    "scoring_historicalcustomerfeatures"
                )
        elapsed = time.monotonic() - started
        unusable = credit_lines_shown_but_unusable().count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {result.customers} customers, {result.credit_lines} credit lines and "
                f"{result.blocks} blocks ({result.active_blocks} active) with seed {seed} "
                f"in {elapsed:.1f} s."
            )
        )
        self.stdout.write(f"Credit lines shown but unusable: {unusable}")
        self.stdout.write(
            "Lines by state: "
            + ", ".join(f"{state} {n}" for state, n in sorted(result.states.items()))
        )
        self.stdout.write(
            "Active blocks by reason: "
            + ", ".join(f"{code} {result.reasons.get(code, 0)}" for code in ReasonCode.values)
        )

    def _assess(self, *, seed: int) -> None:
        started = time.monotonic()
        customer_ids = list(
            Customer.objects.filter(external_id__startswith=external_id_prefix(seed))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        written = assessments_score_scheduled(
            actor=SystemActor("seed_demo"), customer_ids=customer_ids
        )
        self.stdout.write(
            f"Scored {written} customers on the champion scorecard "
            f"in {time.monotonic() - started:.1f} s."
        )

    def _print_staff(self, staff: list[tuple[str, str]], password: str) -> None:
        self.stdout.write("")
        self.stdout.write("Demo accounts (sign in at /accounts/login/):")
        width = max((len(username) for username, _ in staff), default=8)
        self.stdout.write(f"  {'username':<{width}}  {'role':<18}  password")
        for username, role in staff:
            self.stdout.write(f"  {username:<{width}}  {role:<18}  {password}")
