"""Makes the bundled example data: a real tskit tree sequence (a kastore file).

    pip install msprime==1.4.4 && python3 test-data/example/make_example.py

Writes simulated.trees next to this script: 20 diploid samples, 1 Mb of
sequence with recombination and mutations, fixed seeds (the bytes depend on
the msprime/tskit versions, so the file is committed rather than remade).
"""
import pathlib

import msprime

here = pathlib.Path(__file__).parent
ts = msprime.sim_ancestry(
    samples=20, sequence_length=1_000_000, recombination_rate=1e-8,
    population_size=10_000, random_seed=42)
ts = msprime.sim_mutations(ts, rate=1e-8, random_seed=7)
ts.dump(here / "simulated.trees")
print(f"{here / 'simulated.trees'}: {ts.num_trees} trees, {ts.num_sites} sites, {ts.num_nodes} nodes")
