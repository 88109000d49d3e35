"""Django settings: one file, every deployment choice read from the environment.

Defaults are the embedded demo (SQLite under ./var, bound to loopback). Production sets
DATABASE_URL, PINGTAI_SECRET_KEY, PINGTAI_ALLOWED_HOSTS and PINGTAI_DEBUG=0.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("PINGTAI_VAR_DIR", Path.cwd() / "var")).resolve()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 0/1/true/false, got {raw!r}")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_networks(name: str) -> list[str]:
    """A comma-separated list of IP addresses or networks (CIDR), checked at start-up."""
    items = env_list(name, "")
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an IP address or network"
            ) from None
    return items


def _secret_key() -> str:
    """Use PINGTAI_SECRET_KEY; otherwise keep a random key in var/ so sessions survive restarts."""
    if key := os.environ.get("PINGTAI_SECRET_KEY"):
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("PINGTAI_DEBUG", False)
ALLOWED_HOSTS = env_list("PINGTAI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    "pingtai.accounts",
    "pingtai.registry",
    "pingtai.audit",
    "pingtai.reporting",
    "pingtai.runs",
    "pingtai.evaluation",
    "pingtai.summaries",
    "pingtai.reports",
    "pingtai.firm",
    "pingtai.entitlements",
    "pingtai.planning",
    "pingtai.allocation",
    "pingtai.api",
    "pingtai.league",
    "pingtai.supervision",
    "pingtai.web",
    "pingtai.dashboard",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "pingtai.accounts.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pingtai.accounts.middleware.SessionPolicyMiddleware",
    "pingtai.accounts.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "pingtai.urls"
WSGI_APPLICATION = "pingtai.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pingtai.web.context.navigation",
            ],
            # Number and name filters on every page without a {% load %} (docs/glossary.md).
            "builtins": [
                "pingtai.web.templatetags.pingtai_format",
                "pingtai.web.templatetags.pingtai_terms",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pingtai.sqlite3'}"),
        conn_max_age=int(os.environ.get("PINGTAI_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves several processes (pingtai serve): WAL lets them read while
    # one writes; a writer waits up to the busy timeout for the write lock instead of failing
    # with "database is locked"; IMMEDIATE takes that lock when a transaction starts, so two
    # transactions never both read and then both try to upgrade to writing (a deadlock that
    # SQLite resolves by failing one at once, whatever the timeout).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
        # REPLACE deletes the conflicting row before inserting: with recursive triggers on,
        # that delete fires the audit log's delete trigger (docs/audit.md).
        "PRAGMA recursive_triggers=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": int(os.environ.get("PINGTAI_SQLITE_BUSY_TIMEOUT", "30")),
    }

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "pingtai.accounts.hashers.TunableArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PINGTAI_ARGON2_MEMORY_KIB = int(os.environ.get("PINGTAI_ARGON2_MEMORY_KIB", str(64 * 1024)))
PINGTAI_ARGON2_TIME_COST = int(os.environ.get("PINGTAI_ARGON2_TIME_COST", "3"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "pingtai.accounts.passwords.ChineseMinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "pingtai.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "pingtai.accounts.passwords.CharacterClassValidator"},
    {"NAME": "pingtai.accounts.passwords.NotCurrentPasswordValidator"},
]
PINGTAI_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("PINGTAI_PASSWORD_MAX_AGE_DAYS", "90"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Assets are served by the application itself: government intranets have no CDN.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# The audit chain's HMAC keys live outside the database (pingtai.audit.keys, docs/audit.md):
# PINGTAI_AUDIT_KEY, else a key file created on first use; the chain head is checkpointed to
# a file after every write so that a truncated log is detected.
PINGTAI_AUDIT_KEY = os.environ.get("PINGTAI_AUDIT_KEY", "")
PINGTAI_AUDIT_KEY_FILE = Path(os.environ.get("PINGTAI_AUDIT_KEY_FILE", VAR_DIR / "audit_key"))
PINGTAI_AUDIT_HEAD_FILE = Path(
    os.environ.get("PINGTAI_AUDIT_HEAD_FILE", VAR_DIR / "audit_head.json")
)

PINGTAI_MAX_UPLOAD_BYTES = int(os.environ.get("PINGTAI_MAX_UPLOAD_MB", "20")) * 1024 * 1024
# Uploads stream to a temporary file above this size instead of being held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# 30 minutes idle (sliding), 12 hours absolute (ASVS 3.3.2; 等保 登录超时退出).
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
PINGTAI_SESSION_ABSOLUTE_SECONDS = 12 * 3600
# 等保 level 3 asks for two factors, one cryptographic: set PINGTAI_REQUIRE_2FA=1 to enforce TOTP.
PINGTAI_REQUIRE_2FA = env_bool("PINGTAI_REQUIRE_2FA", False)
OTP_TOTP_ISSUER = "丽水开发区平台"

# Lock an account on one address after 5 failures for an hour: far below ASVS 2.2.1's 100/hour.
# An address is throttled after 100 failures across accounts (pingtai.accounts.lockout),
# high enough for an office behind one NAT address signing in at the same moment.
PINGTAI_LOGIN_FAILURE_LIMIT = int(os.environ.get("PINGTAI_LOGIN_FAILURE_LIMIT", "5"))
PINGTAI_LOGIN_ADDRESS_FAILURE_LIMIT = int(
    os.environ.get("PINGTAI_LOGIN_ADDRESS_FAILURE_LIMIT", "100")
)
PINGTAI_LOGIN_COOL_OFF_SECONDS = 3600
# Addresses (or networks) of the reverse proxies whose X-Forwarded-For is believed
# (pingtai.accounts.net; docs/deployment.md): empty means the connection's own address counts.
PINGTAI_TRUSTED_PROXIES = env_networks("PINGTAI_TRUSTED_PROXIES")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# A Chinese page in the site layout instead of Django's English one.
CSRF_FAILURE_VIEW = "pingtai.web.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Production (PINGTAI_PRODUCTION=1): HTTPS only, secure cookies, HSTS, a real secret key.
# On an intranet the TLS terminator (nginx) sets X-Forwarded-Proto; see docs/deployment.md.
PRODUCTION = env_bool("PINGTAI_PRODUCTION", False)
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("PINGTAI_PRODUCTION=1 requires PINGTAI_DEBUG=0")
    if len(os.environ.get("PINGTAI_SECRET_KEY", "")) < 50:
        raise ImproperlyConfigured(
            "PINGTAI_PRODUCTION=1 requires PINGTAI_SECRET_KEY of at least 50 characters"
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("PINGTAI_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = env_list("PINGTAI_CSRF_TRUSTED_ORIGINS", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PINGTAI_LOG_LEVEL", "WARNING")},
}
