"""The API's shared kernel (imports no app):

- ``errors``: the one exception handler, the one ``ErrorsSerializer`` and the documented
  error responses every API view lists (``error_responses(400, 403, …)``);
- ``fields``: ``BoundedDateTimeField``;
- ``permissions``: ``allowed_by`` (a DRF permission from an app's permission function);
- ``pagination``: the keyset pager (``Keyset``, ``KeysetPagination``) and the capped count.
"""
