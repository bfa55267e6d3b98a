import ArgumentParser
struct Decode: AsyncParsableCommand { func run() async throws {} }
