import { revealText } from "@warden/client";
import { useState } from "preact/hooks";
import type { InboxConfig } from "../inbox-api.ts";

/** Asks for the server, the project and an approver token (kept in this tab's sessionStorage). */
export function Login(props: {
  initial: InboxConfig;
  error: string | null;
  onSubmit: (config: InboxConfig) => void;
}) {
  const [endpoint, setEndpoint] = useState(props.initial.endpoint);
  const [project, setProject] = useState(props.initial.project);
  const [token, setToken] = useState("");
  return (
    <main class="login">
      <h1>Warden inbox</h1>
      <p>Sign in with an approver token to answer the permission requests of a project.</p>
      <p class="hint" data-testid="token-help">
        Tokens are set by whoever runs the Warden server, in its config file (<code>tokens:</code>{" "}
        in <code>warden.config.yaml</code>; see docs/server.md). With <code>npm start</code> the
        demo's approver token is <code>dev-approver-token</code>, and the link the demo prints signs
        you in directly.
      </p>
      {props.error && (
        <p class="error" role="alert">
          {revealText(props.error)}
        </p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim())
            props.onSubmit({
              endpoint: endpoint.trim(),
              project: project.trim(),
              token: token.trim(),
            });
        }}
      >
        <label>
          Server
          <input value={endpoint} onInput={(e) => setEndpoint(e.currentTarget.value)} />
        </label>
        <label>
          Project
          <input value={project} onInput={(e) => setProject(e.currentTarget.value)} />
        </label>
        <label>
          Token
          <input
            type="password"
            autocomplete="off"
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={!token.trim()}>
          Open the inbox
        </button>
      </form>
    </main>
  );
}
