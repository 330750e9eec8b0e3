import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// `count` loopback ports free just now (bound, then released), for tests
/// that must name a server's port before it starts (a cluster whose nodes
/// list each other's addresses). Another process may take one meanwhile;
/// the kernel hands out ephemeral ports in turn, so that is rare.
public func freePorts(_ count: Int) throws -> [Int] {
  var sockets: [Int32] = []
  defer { for socket in sockets { close(socket) } }
  var ports: [Int] = []
  for _ in 0..<count {
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw POSIXError(.EMFILE) }
    sockets.append(socket)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(socket, $0, &length) }
    }
    ports.append(Int(UInt16(bigEndian: address.sin_port)))
  }
  return ports
}
