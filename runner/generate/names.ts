/** Fake first and last names for generated customers (emails end in @example.com). */
export const FIRST_NAMES = [
  'Ada', 'Ben', 'Chloe', 'Dmitri', 'Elena', 'Farid', 'Grace', 'Hiro', 'Imani', 'Jonas', 'Kofi', 'Lena', 'Mateo', 'Nora', 'Omar',
  'Priya', 'Quentin', 'Rosa', 'Sam', 'Tara', 'Umar', 'Vera', 'Wen', 'Xavier', 'Yara', 'Zoe', 'Santosh', 'Angie', 'Danny', 'Edward',
] as const;

export const LAST_NAMES = [
  'Stone', 'Okafor', 'Nakamura', 'Volkov', 'Marsh', 'Haddad', 'Lindqvist', 'Tanaka', 'Brooks', 'Weber', 'Mensah', 'Fischer', 'Rivera',
  'Quinn', 'Saleh', 'Raman', 'Morel', 'Delgado', 'Ortiz', 'Clayton', 'Lincoln', 'Gonzalez', 'Habschied', 'Khatib', 'Larsen', 'Abara',
] as const;

export const MAX_NAME_LENGTH = Math.max(...FIRST_NAMES.map((n) => n.length), ...LAST_NAMES.map((n) => n.length));
