"""Commands beside the build: the benchmarks, the PNG plot of a schedule, the PDF of the documentation."""
