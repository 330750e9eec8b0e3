import Chapter1WAL

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#else
  import Darwin
#endif

/// Key numbers with a Zipfian distribution: the key of rank r (0 the most
/// popular) is chosen with probability proportional to 1 / (r + 1)^theta.
///
/// This is the generator of Gray, Sundaresan, Englert, Baclawski and
/// Weinberger, "Quickly generating billion-record synthetic databases"
/// (SIGMOD 1994), which YCSB uses with theta 0.99: after one pass over the
/// ranks to sum zeta(n, theta), each draw costs one uniform number and one
/// `pow`. With theta 0.99 and 100,000 keys, the most popular key takes
/// about 8% of all requests and the top 1% of keys 60% of them: the
/// workload of a cache, a social feed, a shop's best sellers.
///
/// Like YCSB's default ("scrambled" Zipfian), ranks are spread over the key
/// space, so the popular keys are not all neighbours (which would put them
/// all in one block of one table): rank r becomes key (r * m) mod n, with m
/// a prime that does not divide n, a permutation of the keys.
public struct ZipfianGenerator: Sendable {
  /// The number of keys.
  public let count: Int
  /// The skew: 0 is uniform, larger is more skewed.
  public let theta: Double
  private let alpha: Double
  private let zetaN: Double
  private let eta: Double
  private let secondThreshold: Double
  private let multiplier: UInt64

  /// The generator over `count` keys.
  ///
  /// REQUIRES: `count >= 1`, `0 < theta < 1`.
  /// - Complexity: O(count), for zeta(count, theta).
  public init(count: Int, theta: Double = 0.99) {
    precondition(count >= 1 && theta > 0 && theta < 1, "a Zipfian generator needs keys and 0 < theta < 1")
    self.count = count
    self.theta = theta
    zetaN = ZipfianGenerator.zeta(count, theta)
    alpha = 1 / (1 - theta)
    let zeta2 = ZipfianGenerator.zeta(2, theta)
    // With one or two keys the draw never reaches the formula that uses eta.
    eta = count <= 2 ? 0 : (1 - pow(2 / Double(count), 1 - theta)) / (1 - zeta2 / zetaN)
    secondThreshold = 1 + pow(0.5, theta)
    var m: UInt64 = 2_654_435_761  // a prime near 2^32 / golden ratio (Knuth's multiplicative hash)
    while UInt64(count) % m == 0 { m += 2 }  // count is a multiple of m: take another odd m (never in practice)
    multiplier = m
  }

  /// zeta(n, theta) = the sum over i = 1...n of 1 / i^theta.
  static func zeta(_ n: Int, _ theta: Double) -> Double {
    var sum = 0.0
    for i in 1...max(1, n) { sum += 1 / pow(Double(i), theta) }
    return sum
  }

  /// The probability that a draw gives rank `rank`.
  public func probability(ofRank rank: Int) -> Double {
    1 / pow(Double(rank + 1), theta) / zetaN
  }

  /// The next rank, 0 (the most popular) to `count - 1`.
  public func nextRank(using random: inout SeededGenerator) -> Int {
    let u = Double.random(in: 0..<1, using: &random)
    let uz = u * zetaN
    if uz < 1 { return 0 }
    if uz < secondThreshold { return min(1, count - 1) }
    let rank = Int(Double(count) * pow(eta * u - eta + 1, alpha))
    return min(max(rank, 0), count - 1)
  }

  /// The key number of rank `rank`: the ranks, permuted over the key space.
  public func key(ofRank rank: Int) -> Int {
    let product = UInt64(rank).multipliedFullWidth(by: multiplier)
    return Int(UInt64(count).dividingFullWidth((product.high, product.low)).remainder)
  }

  /// The next key number, 0 to `count - 1`.
  public func next(using random: inout SeededGenerator) -> Int {
    key(ofRank: nextRank(using: &random))
  }
}
