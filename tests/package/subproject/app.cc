#include <gleak/gleak.h>
int main() { return gleak::run([] {}); }
