import FoundationEssentials
import RampartHTTP

/// The console's log search (docs/console.md, "Logs"): `GET /console/api/logs` takes the
/// criteria of the manager's `GET /logs` and `rampart logs` (`since`, `from`, `to`,
/// `cluster`, `ns`, `pod`, `workload`, `tag`, `address`, `port`, `app`, `rule`, `action`,
/// `event`, `firewall`, `limit`) and answers the same JSON, through the same code
/// (`ManagerAPI.logsRoute`) in-process. Empty criteria (a form's blank fields) are dropped.
extension ConsoleAPI {
    func logs(_ request: HTTPRequest) -> HTTPReply {
        var inner = request
        inner.path = "/logs"
        inner.query = request.query.filter { !$0.value.isEmpty }
        return ManagerAPI(manager: manager).logsRoute(inner) ?? .error(404, "no log search")
    }
}
