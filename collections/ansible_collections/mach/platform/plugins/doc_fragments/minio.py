"""Connection options shared by the mach.platform MinIO modules."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  url:
    description:
      - Address of the MinIO server (any member of a distributed deployment),
        e.g. C(https://minio.example:9000). Defaults to the C(MINIO_URL) environment variable.
    type: str
  access_key:
    description:
      - Access key of the root (or an admin) user. Defaults to C(MINIO_ACCESS_KEY).
    type: str
  secret_key:
    description:
      - Secret key of that user. Defaults to C(MINIO_SECRET_KEY).
    type: str
  ca_cert:
    description: CA bundle to verify the server's certificate. Defaults to C(SSL_CERT_FILE).
    type: path
requirements:
  - minio >= 7.2
notes:
  - Every module reads the current state first and writes only what differs, so a second run
    reports no change. The admin credentials are checked before anything is read or written.
  - Tested against the MinIO server of the platform's artifact bundle.
"""
