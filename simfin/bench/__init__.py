"""The benchmark wing: ``simfin bench``, its measurements and the references they are
compared with (a plain-Mesa market, a lender that decides one application at a time).

It imports the product through its public names and is never imported by it
(``tests/test_import_graph.py`` checks both).

- :mod:`simfin.bench.suite`: sizes, the table, ``simfin bench`` / ``python -m simfin.bench``;
- :mod:`simfin.bench.timings`: every measurement, from a fixed seed;
- :mod:`simfin.bench.plain_market`: the plain-Mesa reference market;
- :mod:`simfin.bench.reference_lender`: the per-application reference lender.
"""

