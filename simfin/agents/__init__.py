"""The market's agents: consumers (columnar, with a Mesa view), merchant scenarios,
channels and lenders.
"""

from simfin.agents.channel import Channel
from simfin.agents.consumer import Consumer
from simfin.agents.lender import Lender
from simfin.agents.population import Population
from simfin.agents.scenario import MerchantScenario

__all__ = ["Channel", "Consumer", "Lender", "MerchantScenario", "Population"]
