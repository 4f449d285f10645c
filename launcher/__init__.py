"""Starting the project's Rasa and action servers on loopback: shared by the tests and the benchmarks."""
