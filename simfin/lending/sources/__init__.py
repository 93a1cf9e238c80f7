"""The built-in data sources, one module each, registered in ``SOURCES`` on import.

Each module declares the fields its source provides and a factory that builds the source
from a ``SourceBuild``: which consumers it covers and how its fields read the population's
hidden state (the bureau's file, the registry's identity check, the social-security
record, the consortium's shared loans, the service platform's profile). A plug-in adds a
source the same way (``docs/adding_a_data_source.md``).
"""

from simfin.lending.sources import (  # noqa: F401  (registers the built-ins)
    bureau,
    consortium,
    id_registry,
    service_profile,
    social_security,
)
