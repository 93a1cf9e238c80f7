"""The built-in data sources, one module each, registered in ``SOURCES`` on import.

Each module declares the fields its source provides and a factory that builds the source
from a ``SourceBuild``: which consumers it covers and how its fields read the population's
hidden state (the bureau's file, the registry's identity check, the social-security
record, the consortium's shared loans, the service platform's profile). A plug-in adds a
source the same way (``docs/adding_a_data_source.md``).

They live in the lending package, like the stages, although they read the population's
hidden state: the config checks a lender's ``data_sources`` and the fields its rules read
against the registry when it is loaded, and the config cannot import the agents (they
import the config). The population reaches a source as ``SourceBuild.population``, read by
attribute, so this package still imports nothing of the agents.
"""

from simfin.lending.sources import (  # noqa: F401  (registers the built-ins)
    bureau,
    consortium,
    id_registry,
    service_profile,
    social_security,
)
