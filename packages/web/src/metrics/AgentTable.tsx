import type { AgentFigures } from "@switchboard/server/contracts/metrics";
import { duration, stars } from "./format.js";

/** Per agent: chats taken, resolved, rating, first response and resolution times. */
export function AgentTable({ agents }: { agents: AgentFigures[] }) {
  if (agents.length === 0) return <p className="muted">No chats handled in this period.</p>;
  return (
    <div className="table-wrap">
      <table className="board" data-testid="agent-table">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Chats</th>
            <th scope="col">Resolved</th>
            <th scope="col">Rating</th>
            <th scope="col">First response</th>
            <th scope="col">Resolution</th>
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <tr key={a.agentId} data-agent={a.agentId}>
              <td>{a.agentId}</td>
              <td>{a.chats}</td>
              <td>{a.resolved}</td>
              <td>
                {stars(a.satisfaction)} <span className="muted small">({a.ratings})</span>
              </td>
              <td>{duration(a.firstResponseMs)}</td>
              <td>{duration(a.resolutionMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
