import{f as a,h as b,i as c,j as d,k as e,n as f}from"./shared-HKAISUY5.js";export{a as ACCEPTED_TYPES,f as ImagePool,c as ImagePoolGrid,d as PoolApiError,e as PoolClient,b as isAcceptedImage};
