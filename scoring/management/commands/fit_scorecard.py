"""``manage.py fit_scorecard data.csv --target COLUMN``: a draft scorecard version fitted
from labelled data (see ``scoring.scorecards.fitting`` for the method). Prints AUC, KS and Gini on a
hold-out split and stores them on the new draft (source "fitted"), created through the
service (audited, with history) as the system actor ``system:fit_scorecard``. A supervisor
reviews, shadow-compares and activates it on the scorecard pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.permissions import SystemActor
from scoring.models import Scorecard, ScorecardSource
from scoring.scorecards.default import DEFAULT_BLOCK_RULES
from scoring.scorecards.fitting import DEFAULT_BINS, FittingError, fit, read_labelled_csv
from scoring.scorecards.services import scorecard_create_draft


class Command(BaseCommand):
    help = "Fit a draft scorecard version from a labelled CSV (1 = bad, 0 = good)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv", help="Path of the labelled CSV file.")
        parser.add_argument("--target", required=True, help="Column holding 1 (bad) or 0 (good).")
        parser.add_argument("--name", default="", help="Name of the new version.")
        parser.add_argument("--seed", type=int, default=1, help="Seed of the hold-out split.")
        parser.add_argument(
            "--bins", type=int, default=DEFAULT_BINS, help="Quantile bins per feature."
        )
        parser.add_argument(
            "--features",
            default="",
            help="Comma-separated feature columns to use (default: every known feature column).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["bins"] < 2:
            raise CommandError("--bins must be at least 2.")
        features = [f.strip() for f in options["features"].split(",") if f.strip()] or None
        try:
            data = read_labelled_csv(options["csv"], target=options["target"], features=features)
            champion = Scorecard.objects.filter(is_champion=True).first()
            rules = champion.block_rules if champion else DEFAULT_BLOCK_RULES
            result = fit(data, seed=options["seed"], bins=options["bins"], block_rules=rules)
        except FittingError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None

        name = options["name"] or f"Fitted from {len(data.y)} rows (seed {options['seed']})"
        scorecard = scorecard_create_draft(
            actor=SystemActor("fit_scorecard"),
            name=name[:100],
            description=f"Fitted on features: {', '.join(data.features)}.",
            base_points=result.base_points,
            cutoff=result.cutoff,
            characteristics=result.characteristics,
            limit_policy=result.limit_policy,
            block_rules=rules,
            source=ScorecardSource.FITTED,
            metrics=result.metrics,
        )
        m = result.metrics
        if data.ignored:
            self.stdout.write(f"Ignored columns: {', '.join(data.ignored)}")
        self.stdout.write(
            f"Hold-out ({m['test_rows']} rows): AUC {m['auc']:.4f}  KS {m['ks']:.4f}  "
            f"Gini {m['gini']:.4f}"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created draft scorecard v{scorecard.version} ({len(data.features)} "
                f"characteristics, base {result.base_points}, cut-off {result.cutoff})."
            )
        )
