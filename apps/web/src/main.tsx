import { render } from "preact";
import { App } from "./app.tsx";
import { bufferStreamedFetchBodies } from "./buffer-fetch.ts";
import "./styles.css";

bufferStreamedFetchBodies();
render(<App />, document.getElementById("app")!);
