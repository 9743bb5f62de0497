"""What the inventory tells the layers above it, without knowing them."""

from django.dispatch import Signal

# Sent inside the service's transaction with ``subject``, ``body`` and ``recipients``
# (addresses): a mail to queue. budgeting queues it as its workflow mails
# (budgeting.receivers), so the background worker sends it and no request waits.
mail_wanted = Signal()
