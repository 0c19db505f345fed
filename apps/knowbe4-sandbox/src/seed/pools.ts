/** Word pools for deterministic fake people and organisations. */
export const FIRST_NAMES = [
  'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William',
  'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen', 'Christopher', 'Lisa',
  'Daniel', 'Nancy', 'Matthew', 'Betty', 'Anthony', 'Sandra', 'Mark', 'Margaret', 'Donald', 'Ashley', 'Steven',
  'Kimberly', 'Andrew', 'Emily', 'Paul', 'Donna', 'Joshua', 'Michelle', 'Kenneth', 'Carol', 'Kevin', 'Amanda', 'Brian',
  'Melissa', 'George', 'Deborah', 'Timothy', 'Stephanie', 'Ronald', 'Rebecca', 'Jason', 'Sharon', 'Edward', 'Laura',
  'Jeffrey', 'Cynthia', 'Ryan', 'Amy', 'Jacob', 'Kathleen', 'Gary', 'Angela', 'Nicholas', 'Shirley', 'Eric', 'Brenda',
  'Jonathan', 'Emma', 'Stephen', 'Anna', 'Larry', 'Pamela', 'Justin', 'Nicole', 'Scott', 'Samantha', 'Brandon',
  'Katherine', 'Benjamin', 'Christine', 'Samuel', 'Helen', 'Gregory', 'Debra', 'Alexander', 'Rachel', 'Patrick',
  'Carolyn', 'Frank', 'Janet', 'Raymond', 'Maria', 'Jack', 'Olivia', 'Dennis', 'Heather', 'Jerry', 'Diane', 'Aisha',
  'Mateo', 'Yuki', 'Priya', 'Lars', 'Ingrid', 'Chen', 'Fatima', 'Oluwaseun', 'Sofia', 'Luca', 'Zoe', 'Noah', 'Amara',
];
export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez',
  'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez',
  'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen',
  'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall',
  'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Gomez', 'Phillips', 'Evans', 'Turner', 'Diaz', 'Parker',
  'Cruz', 'Edwards', 'Collins', 'Reyes', 'Stewart', 'Morris', 'Morales', 'Murphy', 'Cook', 'Rogers', 'Gutierrez',
  'Ortiz', 'Morgan', 'Cooper', 'Peterson', 'Bailey', 'Reed', 'Kelly', 'Howard', 'Ramos', 'Kim', 'Cox', 'Ward',
  'Richardson', 'Watson', 'Brooks', 'Chavez', 'Wood', 'James', 'Bennett', 'Gray', 'Mendoza', 'Ruiz', 'Hughes',
  'Price', 'Alvarez', 'Castillo', 'Sanders', 'Patel', 'Myers', 'Long', 'Ross', 'Foster', 'Okafor', 'Schmidt',
  'Muller', 'Rossi', 'Tanaka', 'Sato', 'Larsen', 'Novak', 'Kowalski', "O'Brien", 'Dubois',
];
export const DEPARTMENTS: Record<string, readonly string[]> = {
  Engineering: ['Software Engineer', 'Senior Software Engineer', 'Engineering Manager', 'QA Analyst', 'DevOps Engineer'],
  Finance: ['Accountant', 'Financial Analyst', 'Controller', 'Payroll Specialist'],
  'Human Resources': ['HR Generalist', 'Recruiter', 'HR Business Partner'],
  Sales: ['Account Executive', 'Sales Development Rep', 'Sales Manager', 'Solutions Engineer'],
  Marketing: ['Marketing Manager', 'Content Strategist', 'Designer'],
  'Customer Support': ['Support Specialist', 'Support Team Lead', 'Technical Support Engineer'],
  Legal: ['Counsel', 'Paralegal', 'Compliance Officer'],
  Operations: ['Operations Analyst', 'Office Manager', 'Facilities Coordinator'],
  IT: ['IT Administrator', 'Security Analyst', 'Help Desk Technician', 'CISO'],
  Executive: ['Chief Executive Officer', 'Chief Operating Officer', 'Executive Assistant'],
};
export const DIVISIONS = ['Corporate', 'Product', 'Go-To-Market', 'Shared Services', 'International'];
export const LOCATIONS = [
  'Clearwater, FL', 'New York, NY', 'Austin, TX', 'Chicago, IL', 'London', 'Berlin', 'Toronto', 'Sydney',
  'Amsterdam', 'Singapore',
];
export const LANGUAGES = ['en-us', 'en-us', 'en-us', 'en-gb', 'de-de', 'fr-fr', 'es-es', 'pt-br'];
export const COMPANIES = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Stark', 'Wayne', 'Tyrell', 'Cyberdyne', 'Soylent'];
export const MODULES = [
  'Kevin Mitnick Security Awareness Training 2025', 'Phishing Foundations', 'Social Engineering Red Flags',
  'Password Security Basics', 'Ransomware', 'Mobile Device Security', 'Safe Web Browsing', 'Handling Sensitive Information',
  'CEO Fraud', 'Business Email Compromise', 'GDPR Essentials', 'PCI Compliance Simplified',
];
export const POLICIES = ['Acceptable Use Policy', 'Information Security Policy', 'Remote Work Policy', 'Code of Conduct'];
export const PHISHING_TEMPLATES = [
  'Your package could not be delivered', 'Password expiry notice', 'Shared document: Q3 results',
  'IT: Mailbox quota exceeded', 'HR: Updated holiday calendar', 'Invoice overdue', 'DocuSign: Please review',
];
export const PHISHING_CATEGORIES = ['Online Services', 'IT', 'HR', 'Banking and Finance', 'Current Events', 'Social Media'];
export const BROWSERS = [
  ['Chrome', '124.0', 'Windows 10'], ['Edge', '123.0', 'Windows 11'], ['Safari', '17.4', 'macOS'], ['Firefox', '125.0', 'Linux'],
] as const;
