export const sprigFuncs = {};
