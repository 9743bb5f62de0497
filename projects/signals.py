"""What projects tells the layers above it, without knowing them (docs/architecture.md)."""

from django.dispatch import Signal

# Sent inside the service's transaction just before estimate lines are removed or their
# amount changes, with ``lines``: a QuerySet of them. A receiver drops what it derived
# from those lines and returns a list of dicts describing it, which the service keeps in
# the history event under "decisions_dropped". budgeting drops the reviewers' approved
# amounts (budgeting.receivers).
lines_changing = Signal()
