import Chapter1WAL
import Chapter2Memtable
import PropertyBased
import Testing

@testable import Chapter3SSTable

@Suite struct InternalKeyEncodingTests {
  /// The example in InternalKeyEncoding.swift.
  @Test func documentedExample() throws {
    let encoded = InternalKeyEncoding.encode(InternalKey(Bytes(utf8: "apple"), sequence: 1, kind: .value))
    #expect(encoded.hexString == "6170706c65" + "0101000000000000")
    #expect(try InternalKeyEncoding.decode(encoded) == InternalKey(Bytes(utf8: "apple"), sequence: 1, kind: .value))
  }

  static let keys = zip(
    Gen<UInt8>.value(in: 0...3).array(of: 0...4), Gen<UInt64>.value(in: 0...4), Gen<Bool>.bool
  ).map { InternalKey($0, sequence: $1, kind: $2 ? .value : .deletion) }

  /// Encoded keys sort exactly as `InternalKey` does, including keys that
  /// are prefixes of each other and the largest sequence number.
  @Test func encodedOrderMatchesInternalKeyOrder() async {
    await propertyCheck(count: 500, input: Self.keys, Self.keys) { a, b in
      let expected = a < b ? -1 : (b < a ? 1 : 0)
      let actual = compareInternalKeys(InternalKeyEncoding.encode(a), InternalKeyEncoding.encode(b))
      #expect(actual.signum() == expected, "\(a) vs \(b)")
    }
  }

  @Test func roundTripsUpToTheLargestSequence() async {
    await propertyCheck(
      input: Gen<UInt8>.value().array(of: 0...20), Gen<UInt64>.value(in: 0...InternalKeyEncoding.maxSequence),
      Gen<Bool>.bool
    ) { userKey, sequence, isValue throws in
      let key = InternalKey(userKey, sequence: sequence, kind: isValue ? .value : .deletion)
      #expect(try InternalKeyEncoding.decode(InternalKeyEncoding.encode(key)) == key)
    }
  }

  @Test func maxSequenceIsTwoToThe56MinusOne() {
    #expect(InternalKeyEncoding.maxSequence == 72_057_594_037_927_935)
    let top = InternalKey([1], sequence: InternalKeyEncoding.maxSequence, kind: .value)
    let below = InternalKey([1], sequence: InternalKeyEncoding.maxSequence - 1, kind: .value)
    #expect(compareInternalKeys(InternalKeyEncoding.encode(top), InternalKeyEncoding.encode(below)) < 0)
  }

  @Test func malformedKeysAreErrorsNotTraps() {
    #expect(throws: DecodingError.self) { try InternalKeyEncoding.decode([1, 2, 3]) }
    #expect(throws: DecodingError.self) { try InternalKeyEncoding.decode([0x61, 7, 0, 0, 0, 0, 0, 0, 0]) }
    // Comparison stays total on short buffers.
    #expect(compareInternalKeys([1], [1, 2]) < 0)
    #expect(compareInternalKeys([], []) == 0)
  }
}
