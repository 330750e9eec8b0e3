// swift-tools-version: 6.1
//
// BeachDB-Swift: a storage engine built chapter by chapter.
//
// The chapters are one ordered list. Each chapter is a library target that
// depends on the one before it, with a test target of its own. Cutting the
// list after chapter N gives the project as it stands at the end of chapter N
// (this is how the milestone tags are made), so nothing below may name a
// chapter target except through this list.

import PackageDescription

/// The chapters, in reading order: (module name, milestone tag suffix).
let chapters: [(module: String, tag: String)] = [
  ("Chapter1WAL", "wal"),
  ("Chapter2Memtable", "memtable"),
  ("Chapter3SSTable", "sstables"),
  ("Chapter4Manifest", "manifest"),
  ("Chapter5BloomFilter", "bloom"),
  ("Chapter6Compaction", "compaction"),
  ("Chapter7Server", "server"),
  ("Chapter8Raft", "raft"),
]

/// Packages a chapter uses beyond the chapter before it, one chapter to a
/// line: a milestone cuts the lines of later chapters here too.
let chapterDependencies: [(module: String, uses: [Target.Dependency])] = [
  ("Chapter2Memtable", [.product(name: "Atomics", package: "swift-atomics")]),
  ("Chapter5BloomFilter", [.target(name: "Chapter5CRC32C")]),
  ("Chapter7Server", [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"), .product(name: "CoreMetrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"), .product(name: "Histogram", package: "hdrhistogram-swift")]),
  ("Chapter8Raft", [.product(name: "HeapModule", package: "swift-collections"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")]),
]

/// C targets a chapter brings, one to a line (a milestone cuts them too).
let chapterCTargets: [Target] = [
  .target(name: "Chapter5CRC32C", path: "Sources/Chapter5CRC32C"),
]

let chapterModules = chapters.map(\.module)

var targets: [Target] = chapterCTargets

for (index, chapter) in chapters.enumerated() {
  let previous = index == 0 ? [] : [Target.Dependency(stringLiteral: chapterModules[index - 1])]
  targets.append(
    .target(
      name: chapter.module,
      dependencies: previous + (chapterDependencies.first { $0.module == chapter.module }?.uses ?? [])))
  targets.append(
    .testTarget(
      name: "\(chapter.module)Tests",
      dependencies: [
        .target(name: chapter.module),
        "TestSupport",
        .product(name: "PropertyBased", package: "swift-property-based"),
      ]
    )
  )
}

targets += [
  .systemLibrary(
    name: "CReadline",
    providers: [.apt(["libreadline-dev"])]
  ),
  // Helpers shared by every test target: workloads, crash oracles, the
  // location of the repository. A library, so no test target copies another.
  .target(
    name: "TestSupport",
    dependencies: [
      .target(name: chapterModules[0]), .product(name: "PropertyBased", package: "swift-property-based"),
    ],
    path: "Tests/TestSupport"
  ),
  .target(
    name: "BeachShell",
    dependencies: chapterModules.map { Target.Dependency(stringLiteral: $0) } + [
      "CReadline", .product(name: "ArgumentParser", package: "swift-argument-parser"),
    ]
  ),
  // The book weaver: Chapters/ + Sources/ snippets + Notebook/ sessions →
  // Book/ (Markdown) and an HTML book.
  .target(
    name: "BeachBook",
    dependencies: [
      "BeachShell",
      .product(name: "SwiftSyntax", package: "swift-syntax"),
      .product(name: "SwiftParser", package: "swift-syntax"),
      .product(name: "SwiftIDEUtils", package: "swift-syntax"),
      .product(name: "Ink", package: "Ink"),
    ]
  ),
  .testTarget(
    name: "BeachBookTests",
    dependencies: ["BeachBook", "TestSupport"]
  ),
  .executableTarget(
    name: "beach",
    dependencies: [
      "BeachShell",
      "BeachBook",
      .product(name: "ArgumentParser", package: "swift-argument-parser"),
    ]
  ),
  .testTarget(
    name: "BeachShellTests",
    dependencies: ["BeachShell", "TestSupport", "beach"]
  ),
]

let package = Package(
  name: "BeachDB",
  products: [
    .executable(name: "beach", targets: ["beach"]),
    .library(name: "BeachShell", targets: ["BeachShell"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
    .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    .package(url: "https://github.com/swiftlang/swift-syntax.git", from: "603.0.1"),
    .package(url: "https://github.com/JohnSundell/Ink.git", from: "0.6.0"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),  // Chapter7Server
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),  // Chapter7Server
    .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),  // Chapter7Server
    .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),  // Chapter7Server
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),  // Chapter7Server
    .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),  // Chapter8Raft
  ],
  targets: targets,
  swiftLanguageModes: [.v6]
)
