"""The interactive dashboard: Mesa's SolaraViz on the MarketModel (``simfin dashboard``)."""
