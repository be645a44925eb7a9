"""The product's retries with waits of milliseconds, not seconds: what is retried, and how
often, stays the product's; only the waits are shortened."""

from __future__ import annotations

# `IntercomClient` arguments, and `[sources.intercom]` settings of the same names
SHORT_BACKOFF_S = {"backoff_base_s": 0.02, "backoff_max_s": 0.2}
# the same as the CLI's environment variables
SHORT_BACKOFF = {f"SOURCES__INTERCOM__{k.upper()}": str(v) for k, v in SHORT_BACKOFF_S.items()}
