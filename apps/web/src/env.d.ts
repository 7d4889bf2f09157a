/// <reference types="vite/client" />

interface ImportMetaEnv {
  readonly VITE_WARDEN_ENDPOINT?: string;
  readonly VITE_WARDEN_PROJECT?: string;
}
