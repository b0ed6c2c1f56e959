"""What pages share: putting service errors on forms (``forms``)."""
