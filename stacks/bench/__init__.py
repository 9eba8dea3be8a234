"""The benchmark (`./tasks bench`): its own package so none of it loads with the program.

`run` drives one worker process per case; `worker` times the program and both floors in that
process; `floor` and `replay_floor` are the floor programs; `profiling` charges time to layers;
`provider_types` maps a type token back to its provider class for the replay.
"""
