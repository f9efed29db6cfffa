"""The simulator: realistic kubectl captures of a simulated cluster, with their ground truth.

`podreplay.sim.simulate.simulate()` is the entry point (the `podreplay simulate` command).
The package stands alone: it uses nothing of podreplay but `podreplay.errors`, so the rebuild
it tests can never leak into the captures it writes. Modules: `names` (what --help lists),
`model` (pod versions, events, the recorder), `pod` (one pod's kubelet and API behaviour and the
cluster), `workload` (owners, specs), `scenarios` and the modules it gathers (what happens to a
pod), `events` (what the API server keeps of the events), `truth` (the ground truth), `write`
(the capture files) and `simulate` (all of it, for a seed).
"""
