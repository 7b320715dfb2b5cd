// tests/bench/nop_static.cpp: a static program that does nothing and exits 0, built
// with the launcher's flags (musl, no libstdc++). The bench runs it bare and through
// the launcher: the difference is the launcher path's fixed cost, without a dynamic
// loader's work in either measurement. Not part of any shipped binary.
int main() { return 0; }
