module gleak/bench/goanchor

go 1.19
