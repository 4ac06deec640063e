import Hummingbird
import MockAdmin
import MockScript
import MockServer
import NIOCore

/// The REST API of a cluster (`--cluster` with `http_port`):
///
/// | path | methods |
/// |---|---|
/// | `/api/v1/mock_server/nodes` | GET every node: name, host, port, xport, role, state, sessions |
/// | `/api/v1/mock_server/nodes/{name}` | GET one; PATCH `{"role": "SECONDARY"}` |
/// | `/api/v1/mock_server/nodes/{name}/stop` | POST, optional `{"sessions": "drop" \| "hang"}` (default drop) |
/// | `/api/v1/mock_server/nodes/{name}/start` | POST |
/// | `/api/v1/mock_server/nodes/{name}/trace` | PUT `{"filename": "…"}`: new connections answered from it; GET its status |
/// | `/api/v1/mock_server/nodes/{name}/…` | the single-server API of that node: `globals`, `connections`, `journal`, `faults`, … |
/// | `/api/v1/mock_server/globals[/{key}]` | the shared globals, as a single server's globals |
/// | `/api/v1/mock_server/health` | GET `{"status": "ok", "nodes": [names]}` |
/// | `/`, `/dashboard.css`, `/dashboard.js` | GET the dashboard, with a choice of node (`Dashboard`) |
public struct ClusterAdminResponder: HTTPResponder {
    public typealias Context = BasicRequestContext

    let cluster: MockCluster
    let access: AdminAccess
    /// Each node's single-server API, by name.
    let nodeAPIs: [String: AdminResponder]
    /// The shared globals' API.
    let sharedAPI: AdminResponder
    static let prefix = "/api/v1/mock_server/"

    public init(cluster: MockCluster, access: AdminAccess = AdminAccess()) {
        self.cluster = cluster
        self.access = access
        var apis: [String: AdminResponder] = [:]
        for node in cluster.nodes {
            apis[node.name] = AdminResponder(
                globals: node.globals, registry: node.registry, journal: node.configuration.journal, access: access,
                faults: node.configuration.faults, traces: node.configuration.traces, metrics: node.configuration.metrics)
        }
        nodeAPIs = apis
        sharedAPI = AdminResponder(globals: cluster.sharedGlobals, registry: SessionRegistry(), journal: Journal(capacity: 1),
                                   access: access)
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        // The dashboard lets its reader pick a node (`Dashboard`).
        if let page = Dashboard.response(request) { return access.refusal(request, token: false) ?? page }
        if let refusal = access.refusal(request) { return refusal }
        var path = request.uri.path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        if path == "/metrics" || path == Self.prefix + "metrics" {
            // Every node's counters in one scrape, each sample labelled with its node.
            guard request.method == .get || request.method == .head else { return AdminResponder.notAllowed("GET") }
            let families = cluster.nodes.compactMap { node in
                nodeAPIs[node.name].map { api in api.metricsFamilies().map { $0.labelled("node", node.name) } }
            }
            return AdminResponder.metricsText(MetricFamily.text(MetricFamily.merged(families)))
        }
        guard path.hasPrefix(Self.prefix) else { return AdminResponder.text(.notFound, "no such endpoint") }
        let parts = path.dropFirst(Self.prefix.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.first {
        case "globals"?:
            return try await sharedAPI.respond(to: request, context: context)
        case "health"? where parts.count == 1:
            // The node names tell a client (the dashboard) that this is a cluster's API.
            guard request.method == .get || request.method == .head else { return AdminResponder.notAllowed("GET") }
            return AdminResponder.json(JSONValue.object([
                "status": .string("ok"), "nodes": .array(cluster.nodes.map { .string($0.name) }),
            ]).jsonText)
        case "nodes"? where parts.count == 1:
            guard request.method == .get || request.method == .head else { return AdminResponder.notAllowed("GET") }
            return AdminResponder.json(JSONValue.array(await cluster.status().map(\.json)).jsonText)
        case "nodes"?:
            let name = parts[1]
            guard let node = cluster.node(name), let api = nodeAPIs[name] else {
                return AdminResponder.text(.notFound, "no node \"\(name)\"; nodes: "
                                           + cluster.nodes.map(\.name).joined(separator: ", "))
            }
            return try await nodeRequest(node, api: api, rest: Array(parts.dropFirst(2)), request, context: context)
        default:
            return AdminResponder.text(.notFound, "a cluster's API is under nodes/{name}/…, globals and health")
        }
    }

    private func nodeRequest(_ node: MockCluster.Node, api: AdminResponder, rest: [String], _ request: Request,
                             context: Context) async throws -> Response {
        switch rest.first {
        case nil:
            switch request.method {
            case .get, .head:
                return AdminResponder.json(await node.status().json.jsonText)
            case .patch:
                let members: [String: JSONValue]
                switch try await AdminResponder.jsonObject(request) {
                case .success(let object): members = object
                case .failure(let error): return error.response
                }
                guard members.count == 1, case .string(let role)? = members["role"] else {
                    return AdminResponder.text(.unprocessableContent, "expected {\"role\": \"…\"}")
                }
                return AdminResponder.json((try await cluster.setRole(node.name, role)).json.jsonText)
            default:
                return AdminResponder.notAllowed("GET, PATCH")
            }
        case "stop"? where rest.count == 1:
            guard request.method == .post else { return AdminResponder.notAllowed("POST") }
            var sessions = MockCluster.StoppedSessions.drop
            if let body = try? await request.body.collect(upTo: AdminResponder.maxBody), body.readableBytes > 0 {
                guard case .object(let members)? = try? JSONValue(parsing: String(buffer: body)),
                      case .string(let how)? = members["sessions"], let chosen = MockCluster.StoppedSessions(rawValue: how)
                else {
                    return AdminResponder.text(.unprocessableContent, "expected {\"sessions\": \"drop\"} or {\"sessions\": \"hang\"}")
                }
                sessions = chosen
            }
            return AdminResponder.json((try await cluster.stop(node.name, sessions: sessions)).json.jsonText)
        case "start"? where rest.count == 1:
            guard request.method == .post else { return AdminResponder.notAllowed("POST") }
            do {
                return AdminResponder.json((try await cluster.start(node.name)).json.jsonText)
            } catch {
                return AdminResponder.text(.conflict, "node \(node.name) cannot start: \(error)")
            }
        case "trace"? where rest.count == 1 && request.method != .get && request.method != .head:
            guard request.method == .put else { return AdminResponder.notAllowed("GET, PUT") }
            let members: [String: JSONValue]
            switch try await AdminResponder.jsonObject(request) {
            case .success(let object): members = object
            case .failure(let error): return error.response
            }
            guard case .string(let filename)? = members["filename"] else {
                return AdminResponder.text(.unprocessableContent, "expected {\"filename\": \"…\"}")
            }
            do {
                return AdminResponder.json(JSONValue.object(["trace": .string(try await node.loadTrace(filename))]).jsonText)
            } catch {
                return AdminResponder.text(.unprocessableContent, "kept the previous trace: \(error)")
            }
        default:
            // The node's own single-server API, at the same path without `nodes/{name}` (a GET
            // of `trace` among them: the trace's status).
            var head = request.head
            head.path = Self.prefix + rest.joined(separator: "/") + (request.uri.query.map { "?\($0)" } ?? "")
            return try await api.respond(to: Request(head: head, body: request.body), context: context)
        }
    }
}
