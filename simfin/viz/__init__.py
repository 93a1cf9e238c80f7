"""The interactive dashboard (``simfin dashboard``): solara controls and live plots on the
MarketModel.
"""
