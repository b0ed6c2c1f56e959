"""What pages share: putting service errors on forms (``forms``), a page's permission check
from an app's rule (``permissions``)."""
