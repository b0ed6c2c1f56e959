"""The privacy officer's workspace: data-subject requests, erasure, legal holds, retention."""
