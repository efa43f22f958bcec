// Vite turns an import with `?url` into the emitted file's URL (the emoji picker's data).
declare module '*?url' {
  const url: string;
  export default url;
}
