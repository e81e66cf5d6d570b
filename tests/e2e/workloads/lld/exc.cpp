// C++ with exception tables (.gcc_except_table, personality and LSDA in
// the CIEs' augmentation), built by clang++ -O2 -fomit-frame-pointer -g and
// linked by lld: every other call throws through the allocating frame.
// usage: lld_exc [ROUNDS]
#include <cstdlib>
#include <stdexcept>
#include <string>

struct Node {
	std::string name;
	int v[8];
};

Node *volatile node_sink;

__attribute__((noinline)) Node *make(int i)
{
	Node *n = new Node{std::string(40, 'x'), {i}}; // @make
	node_sink = n;
	if (i % 2)
		throw std::runtime_error("odd");
	return n;
}

__attribute__((noinline)) void work(int i)
{
	try {
		node_sink = make(i); // @work
	} catch (const std::exception &) {
		node_sink = nullptr;
	}
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? std::atoi(argv[1]) : 6;

	for (int i = 0; i < rounds; i++)
		work(i); // @main
	node_sink = nullptr;
	return 0;
}
