import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { Inbox } from "./components/Inbox.tsx";
import { Login } from "./components/Login.tsx";
import {
  clearSettings,
  DEFAULT_ENDPOINT,
  DEFAULT_PROJECT,
  loadSettings,
  saveSettings,
} from "./connection-settings.ts";
import { createInboxApi, type InboxConfig } from "./inbox-api.ts";

const sameConfig = (a: InboxConfig, b: InboxConfig) =>
  a.endpoint === b.endpoint && a.project === b.project && a.token === b.token;

export function App() {
  const [config, setConfig] = useState<InboxConfig | null>(() =>
    loadSettings(window.location, sessionStorage),
  );
  const [error, setError] = useState<string | null>(null);
  const api = useMemo(() => (config ? createInboxApi(config) : null), [config]);
  useEffect(() => () => void api?.dispose(), [api]);
  // An inbox link opened in a tab already on the inbox only changes the fragment: apply it (and
  // take the token out of the address bar) as a fresh load would.
  useEffect(() => {
    const onHash = () => {
      const next = loadSettings(window.location, sessionStorage, { fragmentOnly: true });
      if (!next) return;
      setError(null);
      setConfig((current) => (current && sameConfig(current, next) ? current : next));
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  const signOut = useCallback((reason?: string) => {
    clearSettings(sessionStorage);
    setError(reason ?? null);
    setConfig(null);
  }, []);

  if (!config || !api) {
    return (
      <Login
        initial={{ endpoint: DEFAULT_ENDPOINT, project: DEFAULT_PROJECT, token: "" }}
        error={error}
        onSubmit={(next) => {
          saveSettings(sessionStorage, next);
          setError(null);
          setConfig(next);
        }}
      />
    );
  }
  return <Inbox api={api} config={config} onSignOut={signOut} />;
}
