/** The compiled entry point's URL, or undefined when there is no build newer than src/. */
export function freshBuild(): string | undefined;
/** Compiles src/ into .build/ and stamps it; throws when compiling fails. */
export function build(): void;
export const TSC: string;
