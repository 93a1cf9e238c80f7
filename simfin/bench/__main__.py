"""``python -m simfin.bench``: the benchmark table (see :mod:`simfin.bench.suite`)."""

from simfin.bench.suite import main

main()
