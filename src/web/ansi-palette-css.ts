/**
 * CSS for the xterm 256-colour palette classes the ANSI renderer emits
 * (`ansi-palette-N-fg` / `-bg`), computed rather than written out 512 times. The first
 * 16 entries repeat the named colours in public/kickoff.css.
 */
export function ansiPaletteCss(): string {
  const named = [
    "#1b1f24",
    "#ff7b72",
    "#3fb950",
    "#d29922",
    "#58a6ff",
    "#bc8cff",
    "#39c5cf",
    "#c9d1d9",
    "#6e7681",
    "#ffa198",
    "#56d364",
    "#e3b341",
    "#79c0ff",
    "#d2a8ff",
    "#56d4dd",
    "#f0f6fc",
  ];
  const colours: string[] = [...named];
  const levels = [0, 95, 135, 175, 215, 255];
  for (const r of levels) for (const g of levels) for (const b of levels) colours.push(`rgb(${r},${g},${b})`);
  for (let i = 0, level = 8; i < 24; i++, level += 10) colours.push(`rgb(${level},${level},${level})`);
  return colours.map((c, i) => `.ansi-palette-${i}-fg{color:${c}}.ansi-palette-${i}-bg{background:${c}}`).join("\n") + "\n";
}
