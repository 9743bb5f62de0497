"""What budgeting tells the layers above it, without knowing them (docs/architecture.md)."""

from django.dispatch import Signal

# Sent by ``seed_demo`` once every layer up to budgeting has its demo data. A receiver
# seeds its own (execution: contracts, payments, a carry-over, a closure) and returns a
# line for the command to print.
demo_seeded = Signal()
