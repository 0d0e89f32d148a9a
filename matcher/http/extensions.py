"""Flask extensions of the pages and the API, created once here and bound to the app in
``init_web``."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# Storage comes from RATELIMIT_STORAGE_URI (memory:// in development, Redis in production).
limiter = Limiter(get_remote_address, key_prefix="matcher")
